using System.Buffers.Binary;

namespace ToaProxy.Protocol;

/// <summary>The TCP checksum of a bare IPv4/IPv6 packet (pseudo-header included).</summary>
public static class TcpChecksum
{
    private const int ChecksumOffsetInTcp = 16;
    private const uint TcpProtocol = 6;

    /// <summary>Recomputes and stores the checksum; false when the packet is not a parsable TCP packet.</summary>
    public static bool TryUpdate(Span<byte> ipPacket)
    {
        if (RawTcpPacketLayout.TryRead(ipPacket, out RawTcpPacketLayout layout) != FrameParseStatus.Ok)
        {
            return false;
        }

        Update(ipPacket, layout);
        return true;
    }

    /// <summary>True when the packet is a parsable TCP packet whose checksum is correct.</summary>
    public static bool Verify(ReadOnlySpan<byte> ipPacket)
    {
        if (RawTcpPacketLayout.TryRead(ipPacket, out RawTcpPacketLayout layout) != FrameParseStatus.Ok)
        {
            return false;
        }

        ulong sum = PseudoHeaderSum(ipPacket, layout);
        sum = InternetChecksum.Add(sum, ipPacket[layout.TcpOffset..layout.PacketLength]);
        return InternetChecksum.Finish(sum) == 0;
    }

    internal static void Update(Span<byte> ipPacket, in RawTcpPacketLayout layout)
    {
        Span<byte> segment = ipPacket[layout.TcpOffset..layout.PacketLength];
        segment[ChecksumOffsetInTcp] = 0;
        segment[ChecksumOffsetInTcp + 1] = 0;
        ulong sum = InternetChecksum.Add(PseudoHeaderSum(ipPacket, layout), segment);
        BinaryPrimitives.WriteUInt16BigEndian(segment[ChecksumOffsetInTcp..], InternetChecksum.Finish(sum));
    }

    private static ulong PseudoHeaderSum(ReadOnlySpan<byte> ipPacket, in RawTcpPacketLayout layout)
    {
        // Source and destination addresses are adjacent in both IP versions.
        ReadOnlySpan<byte> addresses = layout.IpVersion == 4 ? ipPacket.Slice(12, 8) : ipPacket.Slice(8, 32);
        return InternetChecksum.Add(TcpProtocol + (uint)layout.TcpSegmentLength, addresses);
    }
}
