using System.Buffers.Binary;

namespace ToaProxy.Protocol;

/// <summary>
/// The RFC 1071 ones'-complement sum shared by the IPv4 header and TCP checksums. Summing 32-bit
/// big-endian words into a 64-bit accumulator gives the same folded result as 16-bit words, with a
/// quarter of the additions; parts of one checksum must therefore be split at even offsets.
/// </summary>
internal static class InternetChecksum
{
    public static ulong Add(ulong sum, ReadOnlySpan<byte> data)
    {
        int i = 0;
        for (; i + 4 <= data.Length; i += 4)
        {
            sum += BinaryPrimitives.ReadUInt32BigEndian(data[i..]);
        }

        if (i + 2 <= data.Length)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
            i += 2;
        }

        if (i < data.Length)
        {
            sum += (uint)data[i] << 8;
        }

        return sum;
    }

    /// <summary>Folds the carries back in and complements: the value to store in a checksum field.</summary>
    public static ushort Finish(ulong sum)
    {
        while ((sum >> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }
}
