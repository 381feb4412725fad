using System.Buffers.Binary;

namespace ToaProxy.Protocol;

/// <summary>
/// The Internet checksum (RFC 1071): a one's-complement sum of big-endian 16-bit words, and its
/// incremental update (RFC 1624, eqn. 3) for when a few header bytes change.
/// </summary>
public static class InternetChecksum
{
    /// <summary>Adds <paramref name="data"/> as 16-bit words to a running sum; an odd last byte is padded
    /// with zero. Sums must start at even offsets of the checksummed data to keep word alignment.</summary>
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
            sum += (ulong)data[i] << 8;
        }

        return sum;
    }

    /// <summary>Folds a running sum to 16 bits (end-around carry), not complemented.</summary>
    public static ushort Fold(ulong sum)
    {
        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)sum;
    }

    /// <summary>The checksum field value for a running sum: the complement of its fold.</summary>
    public static ushort Finish(ulong sum) => (ushort)~Fold(sum);

    /// <summary>
    /// RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m'): the new checksum after data whose word sum was
    /// <paramref name="oldSum"/> became data whose word sum is <paramref name="newSum"/>. It keeps
    /// a wrong checksum wrong, so a corrupt packet is not made to look valid.
    /// </summary>
    public static ushort Update(ushort checksum, ulong oldSum, ulong newSum) =>
        Finish((ulong)(ushort)~checksum + (ushort)~Fold(oldSum) + Fold(newSum));
}
