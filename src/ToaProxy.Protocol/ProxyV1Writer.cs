namespace ToaProxy.Protocol;

/// <summary>
/// Writes a PROXY v1 text line ("PROXY TCP4 src dst sport dport\r\n") without allocating.
/// Both IPv4 (or IPv4-mapped) gives TCP4; a mixed pair is promoted to TCP6 with the IPv4 side as
/// ::ffff:a.b.c.d, since v1 requires one family. A header without TCP addresses (LOCAL, UNSPEC,
/// UNIX, datagram) becomes "PROXY UNKNOWN\r\n", which several receivers reject: prefer v2 there.
/// </summary>
public static class ProxyV1Writer
{
    /// <summary>The spec's upper bound for a v1 line, CRLF included.</summary>
    public const int MaxLength = 107;

    public static bool TryWrite(in ProxyHeader header, Span<byte> destination, out int bytesWritten)
    {
        Span<byte> line = stackalloc byte[MaxLength];
        int length = Format(header, line);
        if (destination.Length < length)
        {
            bytesWritten = 0;
            return false;
        }

        line[..length].CopyTo(destination);
        bytesWritten = length;
        return true;
    }

    /// <summary>Writes the line and returns its length; throws when <paramref name="destination"/> is too small.</summary>
    public static int Write(in ProxyHeader header, Span<byte> destination)
    {
        if (!TryWrite(header, destination, out int written))
        {
            throw new ArgumentException($"The destination holds {destination.Length} bytes; a v1 line may need up to {MaxLength}.", nameof(destination));
        }

        return written;
    }

    // The longest line, TCP6 with two full IPv6 addresses and 5-digit ports, is 104 bytes.
    private static int Format(in ProxyHeader header, Span<byte> line)
    {
        if (!header.HasAddresses || header.Transport != ProxyTransport.Stream)
        {
            "PROXY UNKNOWN\r\n"u8.CopyTo(line);
            return 15;
        }

        bool ipv4 = header.Source.IsIPv4 && header.Destination.IsIPv4;
        (ipv4 ? "PROXY TCP4 "u8 : "PROXY TCP6 "u8).CopyTo(line);
        int written = 11;
        written += FormatAddress(header.Source, ipv4, line[written..]);
        line[written++] = (byte)' ';
        written += FormatAddress(header.Destination, ipv4, line[written..]);
        line[written++] = (byte)' ';
        header.SourcePort.TryFormat(line[written..], out int digits);
        written += digits;
        line[written++] = (byte)' ';
        header.DestinationPort.TryFormat(line[written..], out digits);
        written += digits;
        line[written++] = (byte)'\r';
        line[written++] = (byte)'\n';
        return written;
    }

    private static int FormatAddress(NetAddress address, bool ipv4, Span<byte> output) => ipv4
        ? IPAddressText.FormatIPv4(address.IPv4Value, output)
        : IPAddressText.FormatIPv6(address, output);
}
