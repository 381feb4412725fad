namespace ToaProxy.Protocol;

/// <summary>
/// Parses a PROXY v1 line strictly (HAProxy doc/proxy-protocol.txt, section 2.1): "PROXY", single
/// spaces, TCP4 with dotted quads or TCP6 with IPv6 text, ports without leading zeros, CRLF within
/// 107 bytes. "UNKNOWN" may be followed by anything up to the CRLF, which the spec says to ignore;
/// it reads as <see cref="ProxyHeader.Unknown"/>. Never throws.
/// </summary>
public static class ProxyV1Reader
{
    private static ReadOnlySpan<byte> Prefix => "PROXY "u8;

    public static ProxyV1ReadResult Read(ReadOnlySpan<byte> input)
    {
        int prefixBytes = Math.Min(input.Length, Prefix.Length);
        if (!input[..prefixBytes].SequenceEqual(Prefix[..prefixBytes]))
        {
            return ProxyV1ReadResult.Invalid(ProxyV1Rejection.BadPrefix);
        }

        int lineFeed = input[..Math.Min(input.Length, ProxyV1Writer.MaxLength)].IndexOf((byte)'\n');
        if (lineFeed < 0)
        {
            return input.Length >= ProxyV1Writer.MaxLength
                ? ProxyV1ReadResult.Invalid(ProxyV1Rejection.TooLong)
                : ProxyV1ReadResult.NeedMoreData;
        }

        // The prefix matched, so the line feed is past it and lineFeed - 1 is inside the line.
        if (input[lineFeed - 1] != '\r')
        {
            return ProxyV1ReadResult.Invalid(ProxyV1Rejection.BareLineFeed);
        }

        ReadOnlySpan<byte> rest = input[Prefix.Length..(lineFeed - 1)];
        ProxyV1Rejection rejection = ParseFields(rest, out ProxyHeader header);
        return rejection == ProxyV1Rejection.None
            ? new ProxyV1ReadResult(ProxyReadStatus.Complete, ProxyV1Rejection.None, header, lineFeed + 1)
            : ProxyV1ReadResult.Invalid(rejection);
    }

    private static ProxyV1Rejection ParseFields(ReadOnlySpan<byte> rest, out ProxyHeader header)
    {
        header = ProxyHeader.Unknown;
        if (rest.StartsWith("UNKNOWN"u8) && (rest.Length == 7 || rest[7] == ' '))
        {
            return ProxyV1Rejection.None;
        }

        bool ipv4 = rest.StartsWith("TCP4 "u8);
        if (!ipv4 && !rest.StartsWith("TCP6 "u8))
        {
            return ProxyV1Rejection.UnknownProtocol;
        }

        rest = rest[5..];
        if (!TryTakeField(ref rest, out ReadOnlySpan<byte> source)
            || !TryTakeField(ref rest, out ReadOnlySpan<byte> destination)
            || !TryTakeField(ref rest, out ReadOnlySpan<byte> sourcePort)
            || rest.IsEmpty
            || rest.Contains((byte)' '))
        {
            return ProxyV1Rejection.BadSeparator;
        }

        if (!TryParseAddress(source, ipv4, out NetAddress sourceAddress))
        {
            return ProxyV1Rejection.BadSourceAddress;
        }

        if (!TryParseAddress(destination, ipv4, out NetAddress destinationAddress))
        {
            return ProxyV1Rejection.BadDestinationAddress;
        }

        if (!TryParsePort(sourcePort, out ushort sourcePortValue))
        {
            return ProxyV1Rejection.BadSourcePort;
        }

        if (!TryParsePort(rest, out ushort destinationPortValue))
        {
            return ProxyV1Rejection.BadDestinationPort;
        }

        header = ipv4
            ? ProxyHeader.Tcp(sourceAddress, sourcePortValue, destinationAddress, destinationPortValue)
            : ProxyHeader.FromWire(ProxyAddressFamily.Inet6, ProxyTransport.Stream, sourceAddress, sourcePortValue, destinationAddress, destinationPortValue);
        return ProxyV1Rejection.None;
    }

    /// <summary>Takes a non-empty field ended by exactly one space.</summary>
    private static bool TryTakeField(ref ReadOnlySpan<byte> rest, out ReadOnlySpan<byte> field)
    {
        int space = rest.IndexOf((byte)' ');
        field = space > 0 ? rest[..space] : default;
        if (space <= 0)
        {
            return false;
        }

        rest = rest[(space + 1)..];
        return true;
    }

    private static bool TryParseAddress(ReadOnlySpan<byte> text, bool ipv4, out NetAddress address) => ipv4
        ? IPAddressText.TryParseIPv4(text, out address)
        : IPAddressText.TryParseIPv6(text, out address);

    private static bool TryParsePort(ReadOnlySpan<byte> text, out ushort port)
    {
        port = 0;
        if (text.Length is 0 or > 5 || (text.Length > 1 && text[0] == '0'))
        {
            return false;
        }

        int value = 0;
        foreach (byte c in text)
        {
            if (c is < (byte)'0' or > (byte)'9')
            {
                return false;
            }

            value = value * 10 + (c - '0');
        }

        if (value > ushort.MaxValue)
        {
            return false;
        }

        port = (ushort)value;
        return true;
    }
}
