using System.Buffers.Binary;

namespace ToaProxy.Protocol;

/// <summary>
/// Parses a PROXY v2 header from the start of a buffer. Never throws: every input gives Complete,
/// NeedMoreData (all bytes so far are a valid prefix) or Invalid with a <see cref="ProxyV2Rejection"/>.
/// Fixed fields are checked as soon as they arrive, so garbage is rejected without waiting for
/// the length the garbage claims.
/// </summary>
public static class ProxyV2Reader
{
    public static ProxyV2ReadResult Read(ReadOnlySpan<byte> input)
    {
        ReadOnlySpan<byte> signature = ProxyV2Format.Signature;
        int signatureBytes = Math.Min(input.Length, ProxyV2Format.SignatureLength);
        if (!input[..signatureBytes].SequenceEqual(signature[..signatureBytes]))
        {
            return ProxyV2ReadResult.Invalid(ProxyV2Rejection.BadSignature);
        }

        if (input.Length <= 12)
        {
            return ProxyV2ReadResult.NeedMoreData;
        }

        if (input[12] >> 4 != ProxyV2Format.Version)
        {
            return ProxyV2ReadResult.Invalid(ProxyV2Rejection.UnsupportedVersion);
        }

        var command = (ProxyCommand)(input[12] & 0x0F);
        if (command is not (ProxyCommand.Local or ProxyCommand.Proxy))
        {
            return ProxyV2ReadResult.Invalid(ProxyV2Rejection.UnsupportedCommand);
        }

        if (input.Length <= 13)
        {
            return ProxyV2ReadResult.NeedMoreData;
        }

        if (!IsKnownFamilyAndTransport(input[13]))
        {
            return ProxyV2ReadResult.Invalid(ProxyV2Rejection.UnsupportedFamilyOrTransport);
        }

        if (input.Length < ProxyV2Format.FixedHeaderLength)
        {
            return ProxyV2ReadResult.NeedMoreData;
        }

        var family = (ProxyAddressFamily)(input[13] >> 4);
        var transport = (ProxyTransport)(input[13] & 0x0F);
        int bodyLength = BinaryPrimitives.ReadUInt16BigEndian(input[14..]);
        int addressBlockLength = ProxyV2Format.AddressBlockLength(family);
        if (bodyLength < addressBlockLength)
        {
            // LOCAL discards the whole block "including the family", so a short one is still valid there.
            if (command == ProxyCommand.Proxy)
            {
                return ProxyV2ReadResult.Invalid(ProxyV2Rejection.LengthShorterThanAddresses);
            }

            addressBlockLength = bodyLength;
        }

        int headerLength = ProxyV2Format.FixedHeaderLength + bodyLength;
        if (input.Length < headerLength)
        {
            return ProxyV2ReadResult.NeedMoreData;
        }

        ReadOnlySpan<byte> header = input[..headerLength];
        int tlvOffset = ProxyV2Format.FixedHeaderLength + addressBlockLength;
        ProxyV2Rejection tlvRejection = ValidateTlvs(header, tlvOffset);
        if (tlvRejection != ProxyV2Rejection.None)
        {
            return ProxyV2ReadResult.Invalid(tlvRejection);
        }

        ProxyHeader parsed = command == ProxyCommand.Local
            ? ProxyHeader.Local
            : ReadAddresses(family, transport, header[ProxyV2Format.FixedHeaderLength..]);
        return new ProxyV2ReadResult(ProxyReadStatus.Complete, ProxyV2Rejection.None, parsed, headerLength, tlvOffset, headerLength - tlvOffset);
    }

    private static bool IsKnownFamilyAndTransport(byte value) =>
        value is 0x00 or 0x11 or 0x12 or 0x21 or 0x22 or 0x31 or 0x32;

    private static ProxyHeader ReadAddresses(ProxyAddressFamily family, ProxyTransport transport, ReadOnlySpan<byte> block) => family switch
    {
        ProxyAddressFamily.Inet => ProxyHeader.FromWire(
            family,
            transport,
            NetAddress.FromIPv4(block[..4]),
            BinaryPrimitives.ReadUInt16BigEndian(block[8..]),
            NetAddress.FromIPv4(block[4..8]),
            BinaryPrimitives.ReadUInt16BigEndian(block[10..])),
        ProxyAddressFamily.Inet6 => ProxyHeader.FromWire(
            family,
            transport,
            NetAddress.FromIPv6(block[..16]),
            BinaryPrimitives.ReadUInt16BigEndian(block[32..]),
            NetAddress.FromIPv6(block[16..32]),
            BinaryPrimitives.ReadUInt16BigEndian(block[34..])),
        // UNSPEC and UNIX: relayed, but no IP addresses to report; the receiver uses the socket's.
        _ => ProxyHeader.FromWire(family, transport, NetAddress.None, 0, NetAddress.None, 0),
    };

    private static ProxyV2Rejection ValidateTlvs(ReadOnlySpan<byte> header, int offset)
    {
        int crcValueOffset = -1;
        while (offset < header.Length)
        {
            if (offset + ProxyV2Format.TlvHeaderLength > header.Length)
            {
                return ProxyV2Rejection.TruncatedTlvHeader;
            }

            byte type = header[offset];
            int valueLength = BinaryPrimitives.ReadUInt16BigEndian(header[(offset + 1)..]);
            int valueOffset = offset + ProxyV2Format.TlvHeaderLength;
            if (valueOffset + valueLength > header.Length)
            {
                return ProxyV2Rejection.TlvBeyondHeader;
            }

            switch ((ProxyV2TlvType)type)
            {
                case ProxyV2TlvType.Crc32C when valueLength != ProxyV2Format.Crc32CValueLength:
                    return ProxyV2Rejection.BadCrc32CLength;
                case ProxyV2TlvType.Crc32C when crcValueOffset >= 0:
                    return ProxyV2Rejection.DuplicateCrc32C;
                case ProxyV2TlvType.Crc32C:
                    crcValueOffset = valueOffset;
                    break;
                case ProxyV2TlvType.UniqueId when valueLength > ProxyV2Format.UniqueIdMaxLength:
                    return ProxyV2Rejection.UniqueIdTooLong;
                case ProxyV2TlvType.Authority when valueLength > ProxyV2Format.AuthorityMaxLength:
                    return ProxyV2Rejection.AuthorityTooLong;
            }

            offset = valueOffset + valueLength;
        }

        return crcValueOffset < 0 || HasMatchingCrc32C(header, crcValueOffset)
            ? ProxyV2Rejection.None
            : ProxyV2Rejection.Crc32CMismatch;
    }

    private static bool HasMatchingCrc32C(ReadOnlySpan<byte> header, int crcValueOffset)
    {
        // The checksum covers the whole header with its own field read as zeros.
        uint state = Crc32C.Append(Crc32C.InitialState, header[..crcValueOffset]);
        state = Crc32C.Append(state, [0, 0, 0, 0]);
        state = Crc32C.Append(state, header[(crcValueOffset + ProxyV2Format.Crc32CValueLength)..]);
        return Crc32C.Finish(state) == BinaryPrimitives.ReadUInt32BigEndian(header[crcValueOffset..]);
    }
}
