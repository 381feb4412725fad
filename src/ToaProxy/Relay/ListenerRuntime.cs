using System.Net;
using ToaProxy.Configuration;

namespace ToaProxy.Relay;

/// <summary>
/// One version of a listener's settings with what is built from them. A reload swaps the whole of
/// it at once, so a connection uses one version from accept to close.
/// </summary>
internal sealed record ListenerRuntime(ListenerSettings Settings, RealClientResolver Resolver, TransparentSourceChooser TransparentSources)
{
    /// <summary>False for a wildcard Listen (0.0.0.0, [::]), whose connections' local address must be asked for.</summary>
    public bool ListensOnOneAddress { get; } =
        !Settings.Listen.Address.Equals(IPAddress.Any) && !Settings.Listen.Address.Equals(IPAddress.IPv6Any);

    /// <summary>
    /// The upstream address when connections take the epoll relay; null for those that take managed
    /// sockets (a host name to resolve per connection, or a transparent source to bind).
    /// </summary>
    public IPEndPoint? DirectUpstream { get; } =
        Settings.Protocol != ProxyProtocolVersion.Transparent && Settings.Upstream.Address is { } address
            ? new IPEndPoint(address, Settings.Upstream.Port)
            : null;
}
