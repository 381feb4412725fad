using System.Diagnostics;

namespace ToaProxy.Diagnostics;

/// <summary>Backend nfqueue: iptables must exist and load the NFQUEUE target and the connbytes match
/// that the managed rule uses (asked with --help, which loads the extension without changing rules).</summary>
public static class NfqueueSupportCheck
{
    private const string Name = "nfqueue";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static CheckResult Run(ushort queueNumber, bool manageRules)
    {
        string? iptables = ((string[])["/usr/sbin/iptables", "/sbin/iptables", "/usr/bin/iptables"]).FirstOrDefault(File.Exists);
        if (iptables is null)
        {
            return CheckResult.Fail(Name, "iptables is not installed", "apt-get install iptables (the nf_tables variant works; nft alone cannot queue: the kernel may lack CONFIG_NFT_QUEUE)");
        }

        foreach (string[] extension in (string[][])[["-j", "NFQUEUE"], ["-m", "connbytes"]])
        {
            (int exit, string output) = RunQuietly(iptables, [.. extension, "--help"]);
            if (exit != 0 || !output.Contains(extension[1], StringComparison.OrdinalIgnoreCase))
            {
                return CheckResult.Fail(
                    Name,
                    $"iptables cannot load {string.Join(' ', extension)} (exit {exit})",
                    "load the kernel modules: modprobe nfnetlink_queue xt_NFQUEUE xt_connbytes (a container needs them loaded on the host)");
            }
        }

        return CheckResult.Ok(
            Name,
            manageRules
                ? $"iptables loads NFQUEUE and connbytes; toaproxy installs its own rule for queue {queueNumber}"
                : $"iptables loads NFQUEUE and connbytes; ManageRules is false, so your own rule must queue the first 3 packets to queue {queueNumber}");
    }

    private static (int Exit, string Output) RunQuietly(string executable, string[] arguments)
    {
        var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill();
            return (-1, "timed out");
        }

        process.WaitForExit();
        return (process.ExitCode, output.Result + errors.Result);
    }
}
