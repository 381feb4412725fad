using System.ComponentModel;
using System.Diagnostics;

namespace ToaProxy.Capture;

/// <summary>
/// Runs a system tool (iptables, ip) as a service must: found in the sbin directories even when PATH
/// lacks them, stdout returned, a failure described by its command line and stderr.
/// </summary>
public static class SystemCommand
{
    /// <summary>The tool's path in /usr/sbin or /sbin, else its bare name for PATH to resolve.</summary>
    public static string Find(string name)
    {
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

    /// <summary>Returns stdout; a failure throws what <paramref name="fail"/> makes of its message (and cause).</summary>
    public static string Run(string executable, IEnumerable<string> arguments, TimeSpan timeout, Func<string, Exception?, Exception> fail)
    {
        var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        string commandLine = $"{executable} {string.Join(' ', start.ArgumentList)}";
        Process process;
        try
        {
            process = Process.Start(start) ?? throw fail($"'{commandLine}' did not start", null);
        }
        catch (Win32Exception e)
        {
            throw fail($"'{commandLine}' could not start: {e.Message}", e);
        }

        using (process)
        {
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                process.Kill();
                throw fail($"'{commandLine}' did not finish within {timeout.TotalSeconds} s", null);
            }

            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw fail($"'{commandLine}' exited with {process.ExitCode}: {stderr.Result.Trim()}", null);
            }

            return stdout.Result;
        }
    }
}
