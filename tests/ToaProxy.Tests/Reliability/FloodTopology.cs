using System.Net;
using ToaProxy.Testing;

namespace ToaProxy.Tests.Reliability;

/// <summary>
/// Three network namespaces the test creates, so a flood never touches the host's own stack:
/// the proxy's (toaproxy and its upstream), the load balancer's (the emulator and legitimate clients,
/// 198.51.100.2 → 198.51.100.1) and the attacker's (raw-socket sender, 198.51.100.6 → 198.51.100.5,
/// spoofing sources in 203.0.113.0/24, which the proxy's namespace routes back to the attacker so
/// its SYN-ACKs die there instead of leaving the machine).
/// </summary>
internal sealed class FloodTopology : IDisposable
{
    public const int ProxyPort = 8080;
    public const int UpstreamPort = 8081;
    public const string SpoofedSources = "203.0.113.0/24";

    public static readonly IPAddress ProxyOnLoadBalancerLink = IPAddress.Parse("198.51.100.1");
    public static readonly IPAddress LoadBalancer = IPAddress.Parse("198.51.100.2");
    public static readonly IPAddress ProxyOnAttackerLink = IPAddress.Parse("198.51.100.5");
    public static readonly IPAddress Attacker = IPAddress.Parse("198.51.100.6");

    private readonly List<NetworkNamespace> _namespaces = [];

    private FloodTopology()
    {
    }

    public NetworkNamespace Proxy => _namespaces[0];

    public NetworkNamespace LoadBalancerSide => _namespaces[1];

    public NetworkNamespace AttackerSide => _namespaces[2];

    public static FloodTopology Create()
    {
        var topology = new FloodTopology();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                topology._namespaces.Add(NetworkNamespace.Create());
            }

            NetworkNamespace.Link(topology.Proxy, $"{ProxyOnLoadBalancerLink}/30", topology.LoadBalancerSide, $"{LoadBalancer}/30");
            NetworkNamespace.Link(topology.Proxy, $"{ProxyOnAttackerLink}/30", topology.AttackerSide, $"{Attacker}/30");
            topology.Proxy.Ip("route", "add", SpoofedSources, "via", Attacker.ToString());
            return topology;
        }
        catch
        {
            topology.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        foreach (NetworkNamespace netns in _namespaces)
        {
            netns.Dispose();
        }
    }
}
