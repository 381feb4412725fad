using System.Diagnostics;

namespace ToaProxy.Capture.Iptables;

/// <summary>Runs iptables or ip6tables (always with -w, so a concurrent user's lock makes us wait, not fail).</summary>
public static class IptablesCommand
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Returns stdout; throws <see cref="IptablesException"/> naming the command and its stderr.</summary>
    public static string Run(IptablesFamily family, IEnumerable<string> arguments)
    {
        string executable = Executable(family);
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-w");
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        string commandLine = $"{executable} {string.Join(' ', start.ArgumentList)}";
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new IptablesException($"'{commandLine}' did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new IptablesException($"'{commandLine}' could not start: {e.Message}", e);
        }

        using (process)
        {
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(Timeout))
            {
                process.Kill();
                throw new IptablesException($"'{commandLine}' did not finish within {Timeout.TotalSeconds} s");
            }

            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw new IptablesException($"'{commandLine}' exited with {process.ExitCode}: {stderr.Result.Trim()}");
            }

            return stdout.Result;
        }
    }

    private static string Executable(IptablesFamily family)
    {
        string name = family == IptablesFamily.IPv4 ? "iptables" : "ip6tables";
        // Services often run with a PATH lacking the sbin directories.
        foreach (string directory in (string[])["/usr/sbin", "/sbin"])
        {
            string candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return name;
    }
}
