using System.Buffers.Binary;

namespace ToaProxy.Protocol;

/// <summary>
/// Finds the TCP segment in a captured frame: link header (Ethernet with up to two VLAN tags, Linux
/// cooked v1/v2, raw IP), IPv4 with options or IPv6 with hop-by-hop/routing/destination-options
/// headers, then the TCP header. Allocation-free and exception-free on any input.
/// Only the headers must be captured: the payload may be cut by a snaplen, and
/// <see cref="TcpSegment.PayloadLength"/> comes from the IP length fields.
/// </summary>
public static class TcpFrameReader
{
    private const int EthernetHeaderLength = 14;
    private const int VlanTagLength = 4;
    private const int MaxVlanTags = 2;
    private const int SllHeaderLength = 16;
    private const int SllProtocolOffset = 14;
    private const int Sll2HeaderLength = 20;
    private const int Sll2ProtocolOffset = 0;

    private const ushort EtherTypeIPv4 = 0x0800;
    private const ushort EtherTypeIPv6 = 0x86DD;
    private const ushort EtherTypeVlan = 0x8100;
    private const ushort EtherTypeQinQ = 0x88A8;

    private const int IPv4MinHeaderLength = 20;
    private const int IPv6HeaderLength = 40;
    private const int TcpMinHeaderLength = 20;

    private const byte ProtocolTcp = 6;
    private const byte IPv6HopByHop = 0;
    private const byte IPv6Routing = 43;
    private const byte IPv6Fragment = 44;
    private const byte IPv6DestinationOptions = 60;

    // More-fragments flag plus the 13-bit fragment offset; DF (0x4000) does not make a fragment.
    private const ushort IPv4FragmentMask = 0x3FFF;

    /// <summary>
    /// Ok with <paramref name="segment"/> filled (its spans view <paramref name="frame"/>), or why not:
    /// Truncated when the frame ends inside a header, BadLength when length fields contradict each
    /// other, Fragment for an IPv4 TCP fragment or any IPv6 packet with a fragment header (an IPv4
    /// fragment of another protocol is NotTcp).
    /// </summary>
    public static FrameParseStatus TryRead(ReadOnlySpan<byte> frame, LinkType linkType, out TcpSegment segment)
    {
        segment = default;
        int ipOffset;
        int ipVersion;
        FrameParseStatus status = linkType switch
        {
            LinkType.Ethernet => ReadEthernet(frame, out ipOffset, out ipVersion),
            LinkType.LinuxSll => ReadCooked(frame, SllHeaderLength, SllProtocolOffset, out ipOffset, out ipVersion),
            LinkType.LinuxSll2 => ReadCooked(frame, Sll2HeaderLength, Sll2ProtocolOffset, out ipOffset, out ipVersion),
            LinkType.RawIp => ReadRaw(frame, out ipOffset, out ipVersion),
            _ => Unsupported(out ipOffset, out ipVersion),
        };
        if (status != FrameParseStatus.Ok)
        {
            return status;
        }

        // The link header's protocol and the IP header's own version must agree.
        if (frame.Length <= ipOffset)
        {
            return FrameParseStatus.Truncated;
        }

        if (frame[ipOffset] >> 4 != ipVersion)
        {
            return FrameParseStatus.NotIp;
        }

        return ipVersion == 4
            ? ReadIPv4(frame, ipOffset, out segment)
            : ReadIPv6(frame, ipOffset, out segment);
    }

    private static FrameParseStatus Unsupported(out int ipOffset, out int ipVersion)
    {
        ipOffset = 0;
        ipVersion = 0;
        return FrameParseStatus.UnsupportedLinkType;
    }

    private static FrameParseStatus ReadEthernet(ReadOnlySpan<byte> frame, out int ipOffset, out int ipVersion)
    {
        ipVersion = 0;
        ipOffset = EthernetHeaderLength;
        if (frame.Length < EthernetHeaderLength)
        {
            return FrameParseStatus.Truncated;
        }

        ushort etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);
        for (int tags = 0; tags < MaxVlanTags && etherType is EtherTypeVlan or EtherTypeQinQ; tags++)
        {
            // A tag is TCI(2) then the next EtherType(2), which sits where the IP header would start.
            ipOffset += VlanTagLength;
            if (frame.Length < ipOffset)
            {
                return FrameParseStatus.Truncated;
            }

            etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[(ipOffset - 2)..]);
        }

        return VersionOf(etherType, out ipVersion);
    }

    private static FrameParseStatus ReadCooked(
        ReadOnlySpan<byte> frame, int headerLength, int protocolOffset, out int ipOffset, out int ipVersion)
    {
        ipVersion = 0;
        ipOffset = headerLength;
        if (frame.Length < headerLength)
        {
            return FrameParseStatus.Truncated;
        }

        return VersionOf(BinaryPrimitives.ReadUInt16BigEndian(frame[protocolOffset..]), out ipVersion);
    }

    private static FrameParseStatus ReadRaw(ReadOnlySpan<byte> frame, out int ipOffset, out int ipVersion)
    {
        ipOffset = 0;
        ipVersion = 0;
        if (frame.IsEmpty)
        {
            return FrameParseStatus.Truncated;
        }

        ipVersion = frame[0] >> 4;
        return ipVersion is 4 or 6 ? FrameParseStatus.Ok : FrameParseStatus.NotIp;
    }

    private static FrameParseStatus VersionOf(ushort etherType, out int ipVersion)
    {
        ipVersion = etherType switch
        {
            EtherTypeIPv4 => 4,
            EtherTypeIPv6 => 6,
            _ => 0,
        };
        return ipVersion == 0 ? FrameParseStatus.NotIp : FrameParseStatus.Ok;
    }

    private static FrameParseStatus ReadIPv4(ReadOnlySpan<byte> frame, int ipOffset, out TcpSegment segment)
    {
        segment = default;
        ReadOnlySpan<byte> ip = frame[ipOffset..];
        if (ip.Length < IPv4MinHeaderLength)
        {
            return FrameParseStatus.Truncated;
        }

        int headerLength = (ip[0] & 0x0F) * 4;
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
        if (headerLength < IPv4MinHeaderLength || totalLength < headerLength)
        {
            return FrameParseStatus.BadLength;
        }

        if (ip.Length < headerLength)
        {
            return FrameParseStatus.Truncated;
        }

        if (ip[9] != ProtocolTcp)
        {
            return FrameParseStatus.NotTcp;
        }

        if ((BinaryPrimitives.ReadUInt16BigEndian(ip[6..]) & IPv4FragmentMask) != 0)
        {
            return FrameParseStatus.Fragment;
        }

        return ReadTcp(
            frame, 4, NetAddress.FromIPv4(ip.Slice(12, 4)), NetAddress.FromIPv4(ip.Slice(16, 4)),
            ipOffset, ipOffset + headerLength, totalLength - headerLength, out segment);
    }

    private static FrameParseStatus ReadIPv6(ReadOnlySpan<byte> frame, int ipOffset, out TcpSegment segment)
    {
        segment = default;
        ReadOnlySpan<byte> ip = frame[ipOffset..];
        if (ip.Length < IPv6HeaderLength)
        {
            return FrameParseStatus.Truncated;
        }

        // A payload length of 0 (jumbogram) leaves no room for TCP below and reads as BadLength.
        int end = IPv6HeaderLength + BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
        byte nextHeader = ip[6];
        int offset = IPv6HeaderLength;
        while (nextHeader != ProtocolTcp)
        {
            if (nextHeader == IPv6Fragment)
            {
                return FrameParseStatus.Fragment;
            }

            if (nextHeader is not (IPv6HopByHop or IPv6Routing or IPv6DestinationOptions))
            {
                return FrameParseStatus.NotTcp;
            }

            // These three share a layout: next header(1), length in 8-octet units beyond the first 8.
            if (end - offset < 8)
            {
                return FrameParseStatus.BadLength;
            }

            if (ip.Length - offset < 2)
            {
                return FrameParseStatus.Truncated;
            }

            int extensionLength = (ip[offset + 1] + 1) * 8;
            if (end - offset < extensionLength)
            {
                return FrameParseStatus.BadLength;
            }

            nextHeader = ip[offset];
            offset += extensionLength;
        }

        return ReadTcp(
            frame, 6, NetAddress.FromIPv6(ip.Slice(8, 16)), NetAddress.FromIPv6(ip.Slice(24, 16)),
            ipOffset, ipOffset + offset, end - offset, out segment);
    }

    private static FrameParseStatus ReadTcp(
        ReadOnlySpan<byte> frame, int ipVersion, NetAddress source, NetAddress destination,
        int ipOffset, int tcpOffset, int segmentLength, out TcpSegment segment)
    {
        segment = default;
        if (segmentLength < TcpMinHeaderLength)
        {
            return FrameParseStatus.BadLength;
        }

        if (frame.Length - tcpOffset < TcpMinHeaderLength)
        {
            return FrameParseStatus.Truncated;
        }

        ReadOnlySpan<byte> tcp = frame[tcpOffset..];
        int headerLength = (tcp[12] >> 4) * 4;
        if (headerLength < TcpMinHeaderLength || headerLength > segmentLength)
        {
            return FrameParseStatus.BadLength;
        }

        if (tcp.Length < headerLength)
        {
            return FrameParseStatus.Truncated;
        }

        segment = new TcpSegment(
            ipVersion, source, destination,
            sourcePort: BinaryPrimitives.ReadUInt16BigEndian(tcp),
            destinationPort: BinaryPrimitives.ReadUInt16BigEndian(tcp[2..]),
            flags: (TcpFlags)tcp[13],
            sequence: BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]),
            acknowledgment: BinaryPrimitives.ReadUInt32BigEndian(tcp[8..]),
            payloadLength: segmentLength - headerLength,
            options: tcp[TcpMinHeaderLength..headerLength],
            ipOffset, tcpOffset);
        return FrameParseStatus.Ok;
    }
}
