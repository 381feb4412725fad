using System.Buffers.Binary;

namespace ToaProxy.Protocol;

/// <summary>
/// Writes a PROXY v2 header into the caller's buffer without allocating. The header is meant to be
/// sent in one write before any payload (nginx and HAProxy fail a partial header).
/// A header or TLV set the spec or HAProxy would reject is a programming error and throws
/// <see cref="ArgumentException"/>; a buffer that is too small is reported, not thrown, by TryWrite.
/// </summary>
public static class ProxyV2Writer
{
    /// <summary>Bytes the header will take; throws when the header or TLVs cannot be written.</summary>
    public static int GetLength(in ProxyHeader header, scoped in ProxyV2TlvSet tlvs)
    {
        Validate(tlvs);
        int bodyLength = AddressBlockLength(header) + tlvs.EncodedLength;
        if (bodyLength > ushort.MaxValue)
        {
            throw new ArgumentException($"The header body would be {bodyLength} bytes; the length field holds at most {ushort.MaxValue}.", nameof(tlvs));
        }

        return ProxyV2Format.FixedHeaderLength + bodyLength;
    }

    public static int GetLength(in ProxyHeader header) => GetLength(header, ProxyV2TlvSet.None);

    /// <summary>Writes the header; false (and nothing meaningful written) when <paramref name="destination"/> is too small.</summary>
    public static bool TryWrite(in ProxyHeader header, scoped in ProxyV2TlvSet tlvs, Span<byte> destination, out int bytesWritten)
    {
        int length = GetLength(header, tlvs);
        if (destination.Length < length)
        {
            bytesWritten = 0;
            return false;
        }

        Span<byte> output = destination[..length];
        ProxyV2Format.Signature.CopyTo(output);
        output[12] = (byte)((ProxyV2Format.Version << 4) | (byte)header.Command);
        output[13] = (byte)(((byte)header.Family << 4) | (byte)header.Transport);
        BinaryPrimitives.WriteUInt16BigEndian(output[14..], (ushort)(length - ProxyV2Format.FixedHeaderLength));

        int offset = ProxyV2Format.FixedHeaderLength + WriteAddresses(header, output[ProxyV2Format.FixedHeaderLength..]);
        int crcValueOffset = -1;
        if (tlvs.Crc32C)
        {
            crcValueOffset = offset + ProxyV2Format.TlvHeaderLength;
            offset += WriteTlvHeader(output[offset..], (byte)ProxyV2TlvType.Crc32C, ProxyV2Format.Crc32CValueLength);
            output.Slice(offset, ProxyV2Format.Crc32CValueLength).Clear();
            offset += ProxyV2Format.Crc32CValueLength;
        }

        offset += WriteOptional(output[offset..], ProxyV2TlvType.Alpn, tlvs.Alpn);
        offset += WriteOptional(output[offset..], ProxyV2TlvType.Authority, tlvs.Authority);
        offset += WriteOptional(output[offset..], ProxyV2TlvType.UniqueId, tlvs.UniqueId);
        foreach (ProxyV2CustomTlv custom in tlvs.Custom)
        {
            offset += WriteTlv(output[offset..], custom.Type, custom.Value.Span);
        }

        if (tlvs.NoopLength is int noop)
        {
            offset += WriteTlvHeader(output[offset..], (byte)ProxyV2TlvType.Noop, noop);
            output.Slice(offset, noop).Clear();
            offset += noop;
        }

        if (crcValueOffset >= 0)
        {
            // The field is zero while the checksum is computed, as the spec requires.
            BinaryPrimitives.WriteUInt32BigEndian(output[crcValueOffset..], Crc32C.Compute(output));
        }

        bytesWritten = offset;
        return true;
    }

    /// <summary>Writes the header and returns its length; throws when <paramref name="destination"/> is too small.</summary>
    public static int Write(in ProxyHeader header, scoped in ProxyV2TlvSet tlvs, Span<byte> destination)
    {
        if (!TryWrite(header, tlvs, destination, out int written))
        {
            throw new ArgumentException($"The destination holds {destination.Length} bytes; the header needs {GetLength(header, tlvs)}.", nameof(destination));
        }

        return written;
    }

    public static int Write(in ProxyHeader header, Span<byte> destination) => Write(header, ProxyV2TlvSet.None, destination);

    private static int AddressBlockLength(in ProxyHeader header)
    {
        // ProxyHeader's factories keep LOCAL and UNSPEC at family 0, so the family alone decides.
        ProxyAddressFamily family = header.Family;
        if (family == ProxyAddressFamily.Unix)
        {
            throw new ArgumentException("AF_UNIX headers carry socket paths, which ProxyHeader does not hold.", nameof(header));
        }

        return ProxyV2Format.AddressBlockLength(family);
    }

    private static int WriteAddresses(in ProxyHeader header, Span<byte> output)
    {
        switch (header.Family)
        {
            case ProxyAddressFamily.Inet:
                BinaryPrimitives.WriteUInt32BigEndian(output, header.Source.IPv4Value);
                BinaryPrimitives.WriteUInt32BigEndian(output[4..], header.Destination.IPv4Value);
                BinaryPrimitives.WriteUInt16BigEndian(output[8..], header.SourcePort);
                BinaryPrimitives.WriteUInt16BigEndian(output[10..], header.DestinationPort);
                return ProxyV2Format.InetAddressBlockLength;
            case ProxyAddressFamily.Inet6:
                header.Source.WriteIPv6Bytes(output);
                header.Destination.WriteIPv6Bytes(output[16..]);
                BinaryPrimitives.WriteUInt16BigEndian(output[32..], header.SourcePort);
                BinaryPrimitives.WriteUInt16BigEndian(output[34..], header.DestinationPort);
                return ProxyV2Format.Inet6AddressBlockLength;
            default:
                return 0;
        }
    }

    private static int WriteOptional(Span<byte> output, ProxyV2TlvType type, ReadOnlySpan<byte> value) =>
        value.IsEmpty ? 0 : WriteTlv(output, (byte)type, value);

    private static int WriteTlv(Span<byte> output, byte type, ReadOnlySpan<byte> value)
    {
        int headerLength = WriteTlvHeader(output, type, value.Length);
        value.CopyTo(output[headerLength..]);
        return headerLength + value.Length;
    }

    private static int WriteTlvHeader(Span<byte> output, byte type, int valueLength)
    {
        output[0] = type;
        BinaryPrimitives.WriteUInt16BigEndian(output[1..], (ushort)valueLength);
        return ProxyV2Format.TlvHeaderLength;
    }

    private static void Validate(scoped in ProxyV2TlvSet tlvs)
    {
        if (tlvs.Authority.Length > ProxyV2Format.AuthorityMaxLength)
        {
            throw new ArgumentException($"AUTHORITY is {tlvs.Authority.Length} bytes; HAProxy rejects more than {ProxyV2Format.AuthorityMaxLength}.", nameof(tlvs));
        }

        if (tlvs.UniqueId.Length > ProxyV2Format.UniqueIdMaxLength)
        {
            throw new ArgumentException($"UNIQUE_ID is {tlvs.UniqueId.Length} bytes; the spec allows at most {ProxyV2Format.UniqueIdMaxLength}.", nameof(tlvs));
        }

        if (tlvs.Alpn.Length > ushort.MaxValue)
        {
            throw new ArgumentException("ALPN does not fit a TLV length.", nameof(tlvs));
        }

        if (tlvs.NoopLength is < 0 or > ushort.MaxValue)
        {
            throw new ArgumentException($"NOOP length {tlvs.NoopLength} is outside 0..{ushort.MaxValue}.", nameof(tlvs));
        }

        foreach (ProxyV2CustomTlv custom in tlvs.Custom)
        {
            if (custom.Type is < ProxyV2Format.CustomTlvTypeFirst or > ProxyV2Format.CustomTlvTypeLast)
            {
                throw new ArgumentException($"Custom TLV type 0x{custom.Type:X2} is outside the application range 0xE0–0xEF.", nameof(tlvs));
            }

            if (custom.Value.Length > ushort.MaxValue)
            {
                throw new ArgumentException($"Custom TLV 0x{custom.Type:X2} does not fit a TLV length.", nameof(tlvs));
            }
        }
    }
}
