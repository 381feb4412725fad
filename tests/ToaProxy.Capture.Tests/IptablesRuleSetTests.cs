using ToaProxy.Capture.Iptables;
using ToaProxy.Testing;

namespace ToaProxy.Capture.Tests;

public class IptablesRuleSetTests
{
    [Fact]
    public void SaveLine_SplitsQuotedComments()
    {
        List<string> arguments = IptablesSaveLine.Split("-A INPUT -p tcp -m tcp --dport 80 -m comment --comment \"toaproxy:a b\" -j NFQUEUE --queue-num 5");

        Assert.Equal(["-A", "INPUT", "-p", "tcp", "-m", "tcp", "--dport", "80", "-m", "comment", "--comment", "toaproxy:a b", "-j", "NFQUEUE", "--queue-num", "5"], arguments);
    }

    [Fact]
    public void Tag_MustBeSafeForACommandLine()
    {
        Assert.Throws<ArgumentException>(() => new IptablesRuleSet("a b"));
        Assert.Throws<ArgumentException>(() => new IptablesRuleSet(""));
    }

    [SkippableFact]
    public void DisposeRemovesExactlyItsRules_RemoveAllTaggedCleansLeftovers()
    {
        Requires.Root();
        string tag = KernelTestIds.NewTag();
        try
        {
            var kept = new IptablesRuleSet(tag);
            kept.Add(NfqueueRule.ForCapture(IptablesFamily.IPv4, 9, KernelTestIds.NextQueue(), queueBypass: true));
            kept.Add(NfqueueRule.ForOutgoingSyn(IptablesFamily.IPv6, 9, KernelTestIds.NextQueue()));
            var disposed = new IptablesRuleSet(tag);
            disposed.Add(NfqueueRule.ForOutgoingHandshake(IptablesFamily.IPv4, 9, KernelTestIds.NextQueue(), includeSyn: false));
            Assert.Equal(3, IptablesRuleSet.ListTagged(tag).Count);

            disposed.Dispose();
            Assert.Equal(2, IptablesRuleSet.ListTagged(tag).Count);

            // As after a crash: "kept" is never disposed.
            Assert.Equal(2, IptablesRuleSet.RemoveAllTagged(tag));
            Assert.Empty(IptablesRuleSet.ListTagged(tag));
            kept.Dispose(); // its rules are already gone: not an error
        }
        finally
        {
            IptablesRuleSet.RemoveAllTagged(tag);
        }
    }

    [SkippableFact]
    public void FailedCommand_NamesTheCommandAndItsStderr()
    {
        Requires.Root();
        using var rules = new IptablesRuleSet(KernelTestIds.NewTag());

        IptablesException error = Assert.Throws<IptablesException>(() =>
            rules.Add(new IptablesRule(IptablesFamily.IPv4, "filter", "TOAPROXY-NO-SUCH-CHAIN", ["-p", "tcp"], ["-j", "ACCEPT"])));

        Assert.Contains("iptables -w -t filter -I TOAPROXY-NO-SUCH-CHAIN 1 -p tcp", error.Message);
        Assert.Contains("exited with", error.Message);
        Assert.Matches("exited with \\d+: .+", error.Message);
    }
}
