using System.Buffers.Binary;

namespace ToaProxy.Protocol;

/// <summary>
/// Where the TCP header lies in a bare IPv4/IPv6 packet (an NFQUEUE payload), for code that rewrites
/// or checksums the packet. IPv6 extension headers are not walked: a TCP header behind one is
/// reported as <see cref="FrameParseStatus.NotTcp"/>.
/// </summary>
/// <param name="IpVersion">4 or 6.</param>
/// <param name="TcpOffset">Where the TCP header starts (the IP header length).</param>
/// <param name="TcpHeaderLength">Data offset × 4, options included.</param>
/// <param name="PacketLength">From the IP length fields; bytes after it are not part of the packet.</param>
public readonly record struct RawTcpPacketLayout(int IpVersion, int TcpOffset, int TcpHeaderLength, int PacketLength)
{
    public const int Ipv4MinHeaderLength = 20;
    public const int Ipv6HeaderLength = 40;
    public const int TcpMinHeaderLength = 20;
    private const byte TcpProtocol = 6;

    public int TcpSegmentLength => PacketLength - TcpOffset;

    public static FrameParseStatus TryRead(ReadOnlySpan<byte> packet, out RawTcpPacketLayout layout)
    {
        layout = default;
        if (packet.Length < 1)
        {
            return FrameParseStatus.Truncated;
        }

        int version = packet[0] >> 4;
        int tcpOffset;
        int packetLength;
        if (version == 4)
        {
            if (packet.Length < Ipv4MinHeaderLength)
            {
                return FrameParseStatus.Truncated;
            }

            tcpOffset = (packet[0] & 0x0F) * 4;
            packetLength = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
            if (tcpOffset < Ipv4MinHeaderLength || packetLength < tcpOffset)
            {
                return FrameParseStatus.BadLength;
            }

            if (packet[9] != TcpProtocol)
            {
                return FrameParseStatus.NotTcp;
            }

            // More-fragments flag or a fragment offset: the TCP header may not be whole.
            if ((BinaryPrimitives.ReadUInt16BigEndian(packet[6..]) & 0x3FFF) != 0)
            {
                return FrameParseStatus.Fragment;
            }
        }
        else if (version == 6)
        {
            if (packet.Length < Ipv6HeaderLength)
            {
                return FrameParseStatus.Truncated;
            }

            tcpOffset = Ipv6HeaderLength;
            int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);
            if (payloadLength == 0)
            {
                return FrameParseStatus.BadLength; // jumbogram or empty: nothing to rewrite
            }

            packetLength = Ipv6HeaderLength + payloadLength;
            if (packet[6] != TcpProtocol)
            {
                return FrameParseStatus.NotTcp;
            }
        }
        else
        {
            return FrameParseStatus.NotIp;
        }

        if (packetLength > packet.Length || packetLength - tcpOffset < TcpMinHeaderLength)
        {
            return FrameParseStatus.Truncated;
        }

        int tcpHeaderLength = (packet[tcpOffset + 12] >> 4) * 4;
        if (tcpHeaderLength < TcpMinHeaderLength || tcpHeaderLength > packetLength - tcpOffset)
        {
            return FrameParseStatus.BadLength;
        }

        layout = new RawTcpPacketLayout(version, tcpOffset, tcpHeaderLength, packetLength);
        return FrameParseStatus.Ok;
    }

    /// <summary>The connection as the receiver sees it: peer = source, local = destination.</summary>
    public FlowKey ReadReceiverKey(ReadOnlySpan<byte> packet)
    {
        ReadOnlySpan<byte> tcp = packet[TcpOffset..];
        NetAddress source = IpVersion == 4 ? NetAddress.FromIPv4(packet.Slice(12, 4)) : NetAddress.FromIPv6(packet.Slice(8, 16));
        NetAddress destination = IpVersion == 4 ? NetAddress.FromIPv4(packet.Slice(16, 4)) : NetAddress.FromIPv6(packet.Slice(24, 16));
        return new FlowKey(source, BinaryPrimitives.ReadUInt16BigEndian(tcp), destination, BinaryPrimitives.ReadUInt16BigEndian(tcp[2..]));
    }

    public TcpFlags ReadFlags(ReadOnlySpan<byte> packet) => (TcpFlags)packet[TcpOffset + 13];
}
