namespace ToaProxy.Protocol;

/// <summary>
/// What a PROXY header (v1 or v2) says about a connection, without TLVs (those are passed to the
/// v2 writer as a <see cref="ProxyV2TlvSet"/> and read back as spans into the input, so this type
/// stays a small, copyable value). Built only through the factories, so Family always agrees with
/// the addresses: a pair of IPv4 (or IPv4-mapped) addresses is INET, anything else is INET6.
/// </summary>
public readonly record struct ProxyHeader
{
    private ProxyHeader(
        ProxyCommand command,
        ProxyAddressFamily family,
        ProxyTransport transport,
        NetAddress source,
        ushort sourcePort,
        NetAddress destination,
        ushort destinationPort)
    {
        Command = command;
        Family = family;
        Transport = transport;
        Source = source;
        SourcePort = sourcePort;
        Destination = destination;
        DestinationPort = destinationPort;
    }

    public ProxyCommand Command { get; }

    public ProxyAddressFamily Family { get; }

    public ProxyTransport Transport { get; }

    /// <summary>The client; <see cref="NetAddress.None"/> unless <see cref="HasAddresses"/>.</summary>
    public NetAddress Source { get; }

    public ushort SourcePort { get; }

    /// <summary>The address the client connected to (the load balancer's VIP or the backend).</summary>
    public NetAddress Destination { get; }

    public ushort DestinationPort { get; }

    /// <summary>True when the receiver should use <see cref="Source"/>/<see cref="Destination"/>
    /// instead of the socket's endpoints.</summary>
    public bool HasAddresses => Command == ProxyCommand.Proxy && Family is ProxyAddressFamily.Inet or ProxyAddressFamily.Inet6;

    /// <summary>LOCAL: the sender's own connection (health check); no addresses.</summary>
    public static ProxyHeader Local => new(ProxyCommand.Local, ProxyAddressFamily.Unspecified, ProxyTransport.Unspecified, NetAddress.None, 0, NetAddress.None, 0);

    /// <summary>PROXY with AF_UNSPEC (v1 "UNKNOWN"): relayed, but the client address is not known.</summary>
    public static ProxyHeader Unknown => new(ProxyCommand.Proxy, ProxyAddressFamily.Unspecified, ProxyTransport.Unspecified, NetAddress.None, 0, NetAddress.None, 0);

    /// <summary>A relayed TCP connection. Both IPv4 (including IPv4-mapped) gives INET; otherwise
    /// INET6, with an IPv4 side written as ::ffff:a.b.c.d (the NAT64 case).</summary>
    public static ProxyHeader Tcp(NetAddress source, ushort sourcePort, NetAddress destination, ushort destinationPort)
    {
        ProxyAddressFamily family = source.IsIPv4 && destination.IsIPv4 ? ProxyAddressFamily.Inet : ProxyAddressFamily.Inet6;
        return new(ProxyCommand.Proxy, family, ProxyTransport.Stream, source, sourcePort, destination, destinationPort);
    }

    /// <summary>A relayed TCP connection from a flow: the peer is the client, the local end the destination.</summary>
    public static ProxyHeader Tcp(FlowKey flow) => Tcp(flow.Peer, flow.PeerPort, flow.Local, flow.LocalPort);

    /// <summary>Exactly what a v2 header said; the readers use it so a header round-trips unchanged.</summary>
    internal static ProxyHeader FromWire(
        ProxyAddressFamily family,
        ProxyTransport transport,
        NetAddress source,
        ushort sourcePort,
        NetAddress destination,
        ushort destinationPort) =>
        new(ProxyCommand.Proxy, family, transport, source, sourcePort, destination, destinationPort);

    public override string ToString() => HasAddresses
        ? $"{Command} {Family}/{Transport} {Format(Source, SourcePort)} -> {Format(Destination, DestinationPort)}"
        : $"{Command} {Family}/{Transport}";

    private static string Format(NetAddress address, ushort port) =>
        address.IsIPv4 ? $"{address}:{port}" : $"[{address}]:{port}";
}
