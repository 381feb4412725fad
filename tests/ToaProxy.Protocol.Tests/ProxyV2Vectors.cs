using System.Buffers.Binary;

namespace ToaProxy.Protocol.Tests;

/// <summary>
/// PROXY v2 headers written by hand from doc/proxy-protocol.txt section 2.2, not by our writer.
/// Addresses are documentation ranges (RFC 5737 / RFC 3849).
/// </summary>
internal static class ProxyV2Vectors
{
    public const string Signature = "0D0A0D0A000D0A515549540A";

    public static readonly NetAddress Client4 = NetAddress.FromIPv4(0xC000_0201); // 192.0.2.1
    public static readonly NetAddress Server4 = NetAddress.FromIPv4(0xC633_6407); // 198.51.100.7
    public static readonly NetAddress Client6 = NetAddress.FromIPv6(Hex.Bytes("20010DB8 00000000 00000000 00000001"));
    public static readonly NetAddress Server6 = NetAddress.FromIPv6(Hex.Bytes("20010DB8 00000000 00000000 00000002"));

    /// <summary>TCP over IPv4, 192.0.2.1:54321 -> 198.51.100.7:443.</summary>
    public static byte[] Inet => Hex.Bytes(Signature + "21 11 000C | C0000201 C6336407 | D431 01BB");

    /// <summary>TCP over IPv6, [2001:db8::1]:40000 -> [2001:db8::2]:8443.</summary>
    public static byte[] Inet6 => Hex.Bytes(Signature + "21 21 0024 | 20010DB8000000000000000000000001 | 20010DB8000000000000000000000002 | 9C40 20FB");

    /// <summary>NAT64: [2001:db8::1]:40000 -> [::ffff:198.51.100.7]:443, family INET6.</summary>
    public static byte[] Nat64 => Hex.Bytes(Signature + "21 21 0024 | 20010DB8000000000000000000000001 | 00000000000000000000FFFFC6336407 | 9C40 01BB");

    public static byte[] Local => Hex.Bytes(Signature + "20 00 0000");

    /// <summary>PROXY command, AF_UNSPEC: relayed, addresses unknown.</summary>
    public static byte[] Unspec => Hex.Bytes(Signature + "21 00 0000");

    /// <summary>The IPv4 header plus, in our writer's order, CRC32C, ALPN "h2", AUTHORITY "example.com",
    /// UNIQUE_ID "abc123", custom 0xEA "vpce-1" and a 2-byte NOOP; the CRC from the bitwise reference.</summary>
    public static byte[] InetWithTlvs => WithCrc(Hex.Bytes(Signature + "21 11 003D | C0000201 C6336407 | D431 01BB"
        + "| 03 0004 00000000"
        + "| 01 0002 6832"
        + "| 02 000B 6578616D706C652E636F6D"
        + "| 05 0006 616263313233"
        + "| EA 0006 767063652D31"
        + "| 04 0002 0000"), crcValueOffset: 31);

    /// <summary>The IPv6 header with only a CRC32C TLV.</summary>
    public static byte[] Inet6WithCrc => WithCrc(Hex.Bytes(Signature + "21 21 002B | 20010DB8000000000000000000000001 | 20010DB8000000000000000000000002 | 9C40 20FB"
        + "| 03 0004 00000000"), crcValueOffset: 55);

    /// <summary>LOCAL (as HAProxy health checks send it) with UNIQUE_ID "hc" and CRC32C.</summary>
    public static byte[] LocalWithTlvs => WithCrc(Hex.Bytes(Signature + "20 00 000C"
        + "| 03 0004 00000000"
        + "| 05 0002 6863"), crcValueOffset: 19);

    public static IEnumerable<(string Name, byte[] Bytes)> All =>
    [
        (nameof(Inet), Inet), (nameof(Inet6), Inet6), (nameof(Nat64), Nat64), (nameof(Local), Local),
        (nameof(Unspec), Unspec), (nameof(InetWithTlvs), InetWithTlvs), (nameof(Inet6WithCrc), Inet6WithCrc),
        (nameof(LocalWithTlvs), LocalWithTlvs),
    ];

    private static byte[] WithCrc(byte[] header, int crcValueOffset)
    {
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(crcValueOffset), BitwiseCrc32C.Compute(header));
        return header;
    }
}
