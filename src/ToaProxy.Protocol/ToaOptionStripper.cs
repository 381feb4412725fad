using System.Buffers.Binary;

namespace ToaProxy.Protocol;

/// <summary>
/// Overwrites the TOA options of a raw IP packet with NOPs, in place, so the packet can be
/// re-injected (NFQUEUE verdict) without the option reaching the kernel or the application. The
/// TCP checksum is adjusted incrementally (RFC 1624), so the payload need not be re-read and a
/// packet that arrived with a bad checksum keeps a bad one.
/// </summary>
public static class ToaOptionStripper
{
    private const int ChecksumOffset = 16;
    private const int OptionsOffset = 20;

    /// <summary>
    /// NOPs out every option whose (kind, length) is in <paramref name="table"/>, whatever its
    /// content (a zero address is stripped too); TCP Fast Open cookies are kept on SYNs (the only
    /// client segment that carries one; elsewhere 254 starting F9 89 is TOA for port 63881). Options before a
    /// malformed one are stripped; the rest is left as the kernel will see it. Returns whether the
    /// packet changed; false also for anything that is not an unfragmented IPv4/IPv6 TCP packet.
    /// </summary>
    public static bool Strip(Span<byte> ipPacket, ToaOptionTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (TcpFrameReader.TryRead(ipPacket, LinkType.RawIp, out TcpSegment segment) != FrameParseStatus.Ok
            || segment.Options.IsEmpty)
        {
            return false;
        }

        // The options area starts at TCP offset 20 and is a multiple of 4 long, so its word sum is aligned.
        Span<byte> options = ipPacket.Slice(segment.TcpOffset + OptionsOffset, segment.Options.Length);
        ulong oldSum = InternetChecksum.Add(0, options);
        bool changed = false;
        foreach (TcpOption option in new TcpOptionReader(segment.Options))
        {
            if (table.TryGetLayout(option.Kind, option.Length, out _) && !(segment.IsSyn && TcpFastOpenCookie.Is(option)))
            {
                // The reader has already moved past these bytes, so rewriting them under it is safe.
                options.Slice(option.Offset, option.Length).Fill(TcpOptionKind.NoOperation);
                changed = true;
            }
        }

        if (changed)
        {
            Span<byte> checksumField = ipPacket.Slice(segment.TcpOffset + ChecksumOffset, 2);
            ushort checksum = InternetChecksum.Update(
                BinaryPrimitives.ReadUInt16BigEndian(checksumField), oldSum, InternetChecksum.Add(0, options));
            BinaryPrimitives.WriteUInt16BigEndian(checksumField, checksum);
        }

        return changed;
    }
}
