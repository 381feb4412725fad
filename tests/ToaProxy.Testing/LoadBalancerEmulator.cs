using ToaProxy.Capture.Emulation;
using ToaProxy.Capture.Iptables;

namespace ToaProxy.Testing;

/// <summary>
/// The cloud load balancer, emulated on this host: an NFQUEUE rule on OUTPUT for connections to
/// <c>port</c> and a <see cref="TcpOptionInjector"/> inserting TOA into those real kernel packets.
/// Dispose removes the rule; every rule it could have left behind (same tag) is removed too.
/// </summary>
public sealed class LoadBalancerEmulator : IAsyncDisposable
{
    private readonly TcpOptionInjector _injector;

    private LoadBalancerEmulator(TcpOptionInjector injector, string tag)
    {
        _injector = injector;
        Tag = tag;
    }

    public string Tag { get; }

    public long PacketsRewritten => _injector.PacketsRewritten;

    public static LoadBalancerEmulator Start(int port, TcpOptionWriter option, ToaInjectionPackets packets)
    {
        string tag = KernelIds.NewTag();
        try
        {
            TcpOptionInjector injector = TcpOptionInjector.Start(
                new TcpOptionInjectorOptions(KernelIds.NextQueue(), (ushort)port, option) { Packets = packets, RuleTag = tag });
            return new LoadBalancerEmulator(injector, tag);
        }
        catch
        {
            IptablesRuleSet.RemoveAllTagged(tag);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _injector.DisposeAsync();
        }
        finally
        {
            IptablesRuleSet.RemoveAllTagged(Tag);
        }
    }
}
