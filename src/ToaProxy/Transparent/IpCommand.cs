using System.Diagnostics;

namespace ToaProxy.Transparent;

/// <summary>Runs iproute2's <c>ip</c> (policy rules and routes of transparent mode).</summary>
public static class IpCommand
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>Returns stdout; throws <see cref="InvalidOperationException"/> naming the command and its stderr.</summary>
    public static string Run(IEnumerable<string> arguments)
    {
        // Services often run with a PATH lacking the sbin directories.
        string executable = File.Exists("/usr/sbin/ip") ? "/usr/sbin/ip" : File.Exists("/sbin/ip") ? "/sbin/ip" : "ip";
        var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        string commandLine = $"{executable} {string.Join(' ', start.ArgumentList)}";
        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"'{commandLine}' did not start");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill();
            throw new InvalidOperationException($"'{commandLine}' did not finish within {Timeout.TotalSeconds} s");
        }

        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{commandLine}' exited with {process.ExitCode}: {stderr.Result.Trim()}");
        }

        return stdout.Result;
    }
}
