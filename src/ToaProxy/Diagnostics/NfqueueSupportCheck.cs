using ToaProxy.Capture;

namespace ToaProxy.Diagnostics;

/// <summary>Backend nfqueue: iptables must exist and load the NFQUEUE target and the connbytes match
/// that the managed rule uses (asked with --help, which loads the extension without changing rules).</summary>
public static class NfqueueSupportCheck
{
    /// <summary>How long both questions to iptables may take in all (they are asked at the same time).</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private const string Name = "nfqueue";
    private const string LoadFix = "load the kernel modules: modprobe nfnetlink_queue xt_NFQUEUE xt_connbytes (a container needs them loaded on the host)";

    public static async Task<CheckResult> RunAsync(ushort queueNumber, bool manageRules)
    {
        string? iptables = ((string[])["/usr/sbin/iptables", "/sbin/iptables", "/usr/bin/iptables"]).FirstOrDefault(File.Exists);
        if (iptables is null)
        {
            return CheckResult.Fail(Name, "iptables is not installed", "apt-get install iptables (the nf_tables variant works; nft alone cannot queue: the kernel may lack CONFIG_NFT_QUEUE)");
        }

        using var started = new SystemCommandGroup();
        var questions = new List<(string Extension, string Loads, SystemCommand Help)>();
        foreach (string[] extension in (string[][])[["-j", "NFQUEUE"], ["-m", "connbytes"]])
        {
            questions.Add((string.Join(' ', extension), extension[1], started.Add(SystemCommand.Start(iptables, [.. extension, "--help"], (message, cause) => new InvalidOperationException(message, cause)))));
        }

        foreach ((string extension, string loads, SystemCommand help) in questions)
        {
            try
            {
                if (!(await help.FinishAsync(Timeout).ConfigureAwait(false)).Contains(loads, StringComparison.OrdinalIgnoreCase))
                {
                    return CheckResult.Fail(Name, $"iptables cannot load {extension} (its --help does not describe it)", LoadFix);
                }
            }
            catch (InvalidOperationException e) when (e.InnerException is TimeoutException)
            {
                return CheckResult.Fail(Name, $"cannot ask iptables about {extension}: {e.Message}",
                    "find what holds iptables up (another iptables run, the xtables lock, a busy kernel: ps, dmesg), then run doctor again");
            }
            catch (InvalidOperationException e)
            {
                return CheckResult.Fail(Name, $"iptables cannot load {extension}: {e.Message}", LoadFix);
            }
        }

        return CheckResult.Ok(
            Name,
            manageRules
                ? $"iptables loads NFQUEUE and connbytes; toaproxy installs its own rule for queue {queueNumber}"
                : $"iptables loads NFQUEUE and connbytes; ManageRules is false, so your own rule must queue the first 3 packets to queue {queueNumber}");
    }
}
