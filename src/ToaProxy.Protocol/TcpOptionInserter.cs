using System.Buffers.Binary;

namespace ToaProxy.Protocol;

/// <summary>
/// Adds a TCP option to a bare IPv4/IPv6 packet in place, as a load balancer inserting TOA does:
/// the option goes first in the option space (so an existing end-of-options marker cannot hide it),
/// padded with NOPs to a 4-byte boundary; the data offset, IP length fields, IPv4 header checksum
/// and TCP checksum are updated. Allocation-free.
/// </summary>
public static class TcpOptionInserter
{
    public const int MaxOptionSpace = 40;

    private const byte EndOfOptions = 0;
    private const byte Nop = 1;
    private const byte SackPermitted = 4;
    private const byte Timestamps = 8;
    private const int NoRoom = -1;
    private const int Malformed = -2;

    /// <summary>
    /// Inserts <paramref name="option"/> (kind, length, data — written as given, so malformed options
    /// can be produced on purpose) into the packet at <paramref name="buffer"/>[..<paramref name="packetLength"/>].
    /// The buffer must have room for the packet to grow by up to 40 bytes.
    /// </summary>
    public static TcpOptionInsertResult Insert(Span<byte> buffer, int packetLength, ReadOnlySpan<byte> option)
    {
        if (option.IsEmpty || option.Length > MaxOptionSpace)
        {
            return Failure(TcpOptionInsertStatus.InvalidOption);
        }

        FrameParseStatus parse = RawTcpPacketLayout.TryRead(buffer[..packetLength], out RawTcpPacketLayout layout);
        if (parse != FrameParseStatus.Ok)
        {
            return new TcpOptionInsertResult(TcpOptionInsertStatus.NotRewritable, packetLength, parse);
        }

        int optionsOffset = layout.TcpOffset + RawTcpPacketLayout.TcpMinHeaderLength;
        ReadOnlySpan<byte> oldOptions = buffer.Slice(optionsOffset, layout.TcpHeaderLength - RawTcpPacketLayout.TcpMinHeaderLength);
        int paddedOptionLength = AlignToWord(option.Length);

        Span<byte> newOptions = stackalloc byte[MaxOptionSpace];
        newOptions.Fill(Nop);
        option.CopyTo(newOptions);

        TcpOptionInsertStatus status = TcpOptionInsertStatus.Inserted;
        int keptLength = oldOptions.Length;
        if (paddedOptionLength + oldOptions.Length <= MaxOptionSpace)
        {
            oldOptions.CopyTo(newOptions[paddedOptionLength..]);
        }
        else
        {
            status = TcpOptionInsertStatus.InsertedAfterPruning;
            // Prune in steps so timestamps survive when dropping SACK-permitted is enough.
            keptLength = CopyUnprunedOptions(oldOptions, newOptions[paddedOptionLength..], dropTimestamps: false);
            if (keptLength == NoRoom)
            {
                keptLength = CopyUnprunedOptions(oldOptions, newOptions[paddedOptionLength..], dropTimestamps: true);
            }

            if (keptLength == Malformed)
            {
                return Failure(TcpOptionInsertStatus.MalformedOptions);
            }

            if (keptLength == NoRoom)
            {
                return Failure(TcpOptionInsertStatus.NoRoom);
            }
        }

        int newOptionsLength = AlignToWord(paddedOptionLength + keptLength);
        int newPacketLength = layout.PacketLength + newOptionsLength - oldOptions.Length;
        if (newPacketLength > buffer.Length || newPacketLength > ushort.MaxValue)
        {
            return Failure(TcpOptionInsertStatus.BufferTooSmall);
        }

        // Span.CopyTo has memmove semantics, so the overlapping shift of the payload is safe.
        buffer[(optionsOffset + oldOptions.Length)..layout.PacketLength].CopyTo(buffer[(optionsOffset + newOptionsLength)..]);
        newOptions[..newOptionsLength].CopyTo(buffer[optionsOffset..]);

        int newTcpHeaderLength = RawTcpPacketLayout.TcpMinHeaderLength + newOptionsLength;
        ref byte dataOffsetByte = ref buffer[layout.TcpOffset + 12];
        dataOffsetByte = (byte)(((newTcpHeaderLength / 4) << 4) | (dataOffsetByte & 0x0F));

        if (layout.IpVersion == 4)
        {
            BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], (ushort)newPacketLength);
            Ipv4HeaderChecksum.Update(buffer[..layout.TcpOffset]);
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(buffer[4..], (ushort)(newPacketLength - RawTcpPacketLayout.Ipv6HeaderLength));
        }

        TcpChecksum.TryUpdate(buffer[..newPacketLength]);
        return new TcpOptionInsertResult(status, newPacketLength, FrameParseStatus.Ok);
    }

    /// <summary>Copies every option except padding, SACK-permitted and (optionally) timestamps;
    /// returns the bytes written, <see cref="NoRoom"/> or <see cref="Malformed"/>.</summary>
    private static int CopyUnprunedOptions(ReadOnlySpan<byte> options, Span<byte> destination, bool dropTimestamps)
    {
        int written = 0;
        int i = 0;
        while (i < options.Length)
        {
            byte kind = options[i];
            if (kind == EndOfOptions)
            {
                break;
            }

            if (kind == Nop)
            {
                i++;
                continue;
            }

            if (i + 1 >= options.Length)
            {
                return Malformed;
            }

            int length = options[i + 1];
            if (length < 2 || i + length > options.Length)
            {
                return Malformed;
            }

            bool pruned = kind == SackPermitted || (dropTimestamps && kind == Timestamps);
            if (!pruned)
            {
                if (written + length > destination.Length)
                {
                    return NoRoom;
                }

                options.Slice(i, length).CopyTo(destination[written..]);
                written += length;
            }

            i += length;
        }

        return written;
    }

    private static int AlignToWord(int length) => (length + 3) & ~3;

    private static TcpOptionInsertResult Failure(TcpOptionInsertStatus status) => new(status, 0, FrameParseStatus.Ok);
}
