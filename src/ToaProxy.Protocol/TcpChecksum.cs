using System.Buffers.Binary;

namespace ToaProxy.Protocol;

/// <summary>
/// The TCP checksum over the IPv4 or IPv6 pseudo-header and the whole segment (RFC 9293 §3.1,
/// RFC 8200 §8.1). Packets are raw IP (no link header): an NFQUEUE payload or a frame sliced at
/// <see cref="TcpSegment.IpOffset"/>. The segment's extent comes from the IP length fields, so the
/// packet must be captured in full. For IPv6 the pseudo-header uses the header's destination
/// address, which differs from the final one only when a routing header is present.
/// </summary>
public static class TcpChecksum
{
    private const int ChecksumOffset = 16;
    private const byte ProtocolTcp = 6;
    private const int TcpMinHeaderLength = 20;

    /// <summary>The value the TCP checksum field must hold (host order; store big-endian at
    /// TCP offset 16), computed as if the field were zero.</summary>
    /// <exception cref="ArgumentException">Not a complete, unfragmented IPv4/IPv6 TCP packet.</exception>
    public static ushort Compute(ReadOnlySpan<byte> ipPacket) =>
        TryCompute(ipPacket, out ushort checksum)
            ? checksum
            : throw new ArgumentException("Not a complete, unfragmented IPv4 or IPv6 TCP packet.", nameof(ipPacket));

    /// <summary>Like <see cref="Compute"/>, but false instead of throwing.</summary>
    public static bool TryCompute(ReadOnlySpan<byte> ipPacket, out ushort checksum)
    {
        checksum = 0;
        if (!TryLocate(ipPacket, out int tcpOffset, out int segmentLength))
        {
            return false;
        }

        checksum = ComputeLocated(ipPacket, tcpOffset, segmentLength);
        return true;
    }

    /// <summary>True when the packet is a complete TCP packet whose checksum field is correct.</summary>
    public static bool Verify(ReadOnlySpan<byte> ipPacket)
    {
        if (!TryLocate(ipPacket, out int tcpOffset, out int segmentLength))
        {
            return false;
        }

        ulong sum = InternetChecksum.Add(PseudoHeaderSum(ipPacket, segmentLength), ipPacket.Slice(tcpOffset, segmentLength));
        return InternetChecksum.Fold(sum) == 0xFFFF;
    }

    /// <summary>Computes the checksum and writes it into the packet; false (packet untouched) when
    /// it is not a complete TCP packet.</summary>
    public static bool TryUpdate(Span<byte> ipPacket)
    {
        if (!TryLocate(ipPacket, out int tcpOffset, out int segmentLength))
        {
            return false;
        }

        BinaryPrimitives.WriteUInt16BigEndian(
            ipPacket[(tcpOffset + ChecksumOffset)..], ComputeLocated(ipPacket, tcpOffset, segmentLength));
        return true;
    }

    // Sums everything but the checksum field itself, which counts as zero.
    private static ushort ComputeLocated(ReadOnlySpan<byte> ipPacket, int tcpOffset, int segmentLength)
    {
        ReadOnlySpan<byte> segment = ipPacket.Slice(tcpOffset, segmentLength);
        ulong sum = PseudoHeaderSum(ipPacket, segmentLength);
        sum = InternetChecksum.Add(sum, segment[..ChecksumOffset]);
        sum = InternetChecksum.Add(sum, segment[(ChecksumOffset + 2)..]);
        return InternetChecksum.Finish(sum);
    }

    private static bool TryLocate(ReadOnlySpan<byte> ipPacket, out int tcpOffset, out int segmentLength)
    {
        tcpOffset = 0;
        segmentLength = 0;
        if (TcpFrameReader.TryRead(ipPacket, LinkType.RawIp, out TcpSegment segment) != FrameParseStatus.Ok)
        {
            return false;
        }

        tcpOffset = segment.TcpOffset;
        segmentLength = TcpMinHeaderLength + segment.Options.Length + segment.PayloadLength;
        return ipPacket.Length - tcpOffset >= segmentLength;
    }

    // The pseudo-header's words: both addresses, zero + protocol, and the TCP length.
    private static ulong PseudoHeaderSum(ReadOnlySpan<byte> ipPacket, int segmentLength)
    {
        ReadOnlySpan<byte> addresses = ipPacket[0] >> 4 == 4 ? ipPacket.Slice(12, 8) : ipPacket.Slice(8, 32);
        return InternetChecksum.Add(0, addresses) + ProtocolTcp + (ulong)segmentLength;
    }
}
