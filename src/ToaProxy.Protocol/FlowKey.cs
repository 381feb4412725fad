using System.Net;

namespace ToaProxy.Protocol;

/// <summary>
/// A TCP connection as the backend host sees it: (peer address, peer port, local address, local port).
/// From a captured client-to-server packet the peer is the packet's source; from an accepted socket
/// it is RemoteEndPoint. IPv4-mapped IPv6 addresses compare equal to their IPv4 form.
/// </summary>
public readonly record struct FlowKey(NetAddress Peer, ushort PeerPort, NetAddress Local, ushort LocalPort)
{
    public static FlowKey FromEndPoints(IPEndPoint peer, IPEndPoint local) => new(
        NetAddress.FromIPAddress(peer.Address), (ushort)peer.Port,
        NetAddress.FromIPAddress(local.Address), (ushort)local.Port);

    public override string ToString() => $"{Format(Peer, PeerPort)}->{Format(Local, LocalPort)}";

    private static string Format(NetAddress address, ushort port) =>
        address.IsIPv4 ? $"{address}:{port}" : $"[{address}]:{port}";
}
