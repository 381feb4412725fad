using System.Net;

namespace ToaProxy.Configuration;

public sealed record ListenerSettings(
    string Name,
    IPEndPoint Listen,
    HostPort Upstream,
    ProxyProtocolVersion Protocol,
    WithoutToaPolicy WithoutToa,
    DestinationMode Destination,
    TimeSpan ToaWait,
    bool WaitForData,
    TimeSpan ConnectTimeout,
    TimeSpan IdleTimeout,
    int MaxConnections,
    ProxyTlvSelection Tlvs,
    byte VpcIdTlvType,
    HttpListenerSettings? Http = null);
