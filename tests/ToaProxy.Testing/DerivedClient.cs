using System.Net;
using ToaProxy.Protocol;

namespace ToaProxy.Testing;

/// <summary>
/// The emulated real client of a connection, derived from its source port, so that every
/// connection of a test has its own client and a misattribution shows as a mismatch.
/// IPv4 clients are in 203.0.113.0/24, IPv6 clients in 2001:db8::/32 (documentation ranges).
/// </summary>
public static class DerivedClient
{
    public static (NetAddress Address, ushort Port) V4(in FlowKey flow) => (NetAddress.FromIPAddress(V4Address(flow.PeerPort)), flow.PeerPort);

    public static (NetAddress Address, ushort Port) V6(in FlowKey flow) => (NetAddress.FromIPAddress(V6Address(flow.PeerPort)), flow.PeerPort);

    public static IPAddress V4Address(int sourcePort) => new([203, 0, 113, (byte)(1 + (sourcePort % 250))]);

    public static IPAddress V6Address(int sourcePort) => IPAddress.Parse($"2001:db8:7:a::{sourcePort:x}");
}
