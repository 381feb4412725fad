using System.Buffers.Binary;

namespace ToaProxy.Protocol;

/// <summary>
/// Allocation-free text forms of IP addresses for PROXY v1: strict dotted-quad IPv4 (no leading
/// zeros, which some parsers read as octal) and RFC 4291 IPv6, written in RFC 5952 canonical form.
/// </summary>
internal static class IPAddressText
{
    /// <summary>"255.255.255.255".</summary>
    public const int MaxIPv4Length = 15;

    /// <summary>Eight groups of four hex digits and seven colons.</summary>
    public const int MaxIPv6Length = 39;

    public static int FormatIPv4(uint hostOrder, Span<byte> output)
    {
        int written = 0;
        for (int shift = 24; shift >= 0; shift -= 8)
        {
            if (shift != 24)
            {
                output[written++] = (byte)'.';
            }

            ((byte)(hostOrder >> shift)).TryFormat(output[written..], out int digits);
            written += digits;
        }

        return written;
    }

    /// <summary>RFC 5952: lower case, no leading zeros, the longest run (≥ 2) of zero groups as "::",
    /// and IPv4-mapped addresses as ::ffff:a.b.c.d.</summary>
    public static int FormatIPv6(NetAddress address, Span<byte> output)
    {
        if (address.IsIPv4)
        {
            "::ffff:"u8.CopyTo(output);
            return 7 + FormatIPv4(address.IPv4Value, output[7..]);
        }

        Span<byte> bytes = stackalloc byte[16];
        address.WriteIPv6Bytes(bytes);
        Span<ushort> groups = stackalloc ushort[8];
        for (int i = 0; i < 8; i++)
        {
            groups[i] = BinaryPrimitives.ReadUInt16BigEndian(bytes[(i * 2)..]);
        }

        (int runStart, int runLength) = LongestZeroRun(groups);
        int written = 0;
        for (int i = 0; i < 8; i++)
        {
            if (i == runStart)
            {
                output[written++] = (byte)':';
                output[written++] = (byte)':';
                i += runLength - 1;
                continue;
            }

            if (i != 0 && i != runStart + runLength)
            {
                output[written++] = (byte)':';
            }

            groups[i].TryFormat(output[written..], out int digits, "x");
            written += digits;
        }

        return written;
    }

    public static bool TryParseIPv4(ReadOnlySpan<byte> text, out NetAddress address)
    {
        address = default;
        if (!TryParseDottedQuad(text, out uint value))
        {
            return false;
        }

        address = NetAddress.FromIPv4(value);
        return true;
    }

    /// <summary>Any RFC 4291 text form: full, "::"-compressed, or with a dotted IPv4 tail. No zone ids.</summary>
    public static bool TryParseIPv6(ReadOnlySpan<byte> text, out NetAddress address)
    {
        address = default;
        if (text.Length is < 2 or > 45)
        {
            return false;
        }

        Span<ushort> groups = stackalloc ushort[8];
        int count = 0;
        int compressedAt = -1;
        int i = 0;
        if (text[0] == ':')
        {
            if (text[1] != ':')
            {
                return false;
            }

            compressedAt = 0;
            i = 2;
        }

        while (i < text.Length)
        {
            int start = i;
            int value = 0;
            while (i < text.Length && i - start < 5 && HexValue(text[i]) is int digit and >= 0)
            {
                value = (value << 4) | digit;
                i++;
            }

            if (i < text.Length && text[i] == '.')
            {
                // A dotted IPv4 tail takes the last two groups and must end the text.
                if (count > 6 || !TryParseDottedQuad(text[start..], out uint v4))
                {
                    return false;
                }

                groups[count++] = (ushort)(v4 >> 16);
                groups[count++] = (ushort)v4;
                i = text.Length;
                break;
            }

            int digits = i - start;
            if (digits is 0 or > 4 || count == 8)
            {
                return false;
            }

            groups[count++] = (ushort)value;
            if (i == text.Length)
            {
                break;
            }

            if (text[i] != ':')
            {
                return false;
            }

            if (i + 1 < text.Length && text[i + 1] == ':')
            {
                if (compressedAt >= 0)
                {
                    return false;
                }

                compressedAt = count;
                i += 2;
            }
            else
            {
                i++;
                if (i == text.Length)
                {
                    return false;
                }
            }
        }

        if (compressedAt < 0 ? count != 8 : count > 7)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[16];
        bytes.Clear();
        int tail = compressedAt < 0 ? 0 : count - compressedAt;
        int head = count - tail;
        for (int g = 0; g < head; g++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(bytes[(g * 2)..], groups[g]);
        }

        for (int g = 0; g < tail; g++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(bytes[((8 - tail + g) * 2)..], groups[head + g]);
        }

        address = NetAddress.FromIPv6(bytes);
        return true;
    }

    private static bool TryParseDottedQuad(ReadOnlySpan<byte> text, out uint value)
    {
        value = 0;
        int parts = 0;
        int i = 0;
        while (parts < 4)
        {
            int start = i;
            int part = 0;
            while (i < text.Length && i - start < 3 && text[i] is >= (byte)'0' and <= (byte)'9')
            {
                part = part * 10 + (text[i] - '0');
                i++;
            }

            int digits = i - start;
            if (digits == 0 || part > 255 || (digits > 1 && text[start] == '0'))
            {
                return false;
            }

            value = (value << 8) | (uint)part;
            parts++;
            if (parts < 4)
            {
                if (i >= text.Length || text[i] != '.')
                {
                    return false;
                }

                i++;
            }
        }

        return i == text.Length;
    }

    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };

    private static (int Start, int Length) LongestZeroRun(ReadOnlySpan<ushort> groups)
    {
        int bestStart = -1;
        int bestLength = 0;
        for (int i = 0; i < groups.Length;)
        {
            if (groups[i] != 0)
            {
                i++;
                continue;
            }

            int start = i;
            while (i < groups.Length && groups[i] == 0)
            {
                i++;
            }

            if (i - start > bestLength)
            {
                bestStart = start;
                bestLength = i - start;
            }
        }

        // RFC 5952 4.2.2: a single zero group is not compressed.
        return bestLength >= 2 ? (bestStart, bestLength) : (-1, 0);
    }
}
