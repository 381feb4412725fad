namespace ToaProxy.Protocol;

/// <summary>Why a PROXY v2 header was rejected (for counters and logs).</summary>
public enum ProxyV2Rejection
{
    None,
    /// <summary>The first 12 bytes are not the v2 signature.</summary>
    BadSignature,
    /// <summary>The version nibble is not 2.</summary>
    UnsupportedVersion,
    /// <summary>The command nibble is neither LOCAL (0) nor PROXY (1).</summary>
    UnsupportedCommand,
    /// <summary>Byte 14 is not one of 0x00, 0x11, 0x12, 0x21, 0x22, 0x31, 0x32.</summary>
    UnsupportedFamilyOrTransport,
    /// <summary>The length field is shorter than the family's address block.</summary>
    LengthShorterThanAddresses,
    /// <summary>Fewer than 3 bytes remain where a TLV starts.</summary>
    TruncatedTlvHeader,
    /// <summary>A TLV's value runs past the end of the header.</summary>
    TlvBeyondHeader,
    /// <summary>A CRC32C TLV whose value is not 4 bytes.</summary>
    BadCrc32CLength,
    /// <summary>More than one CRC32C TLV: which one to verify would be ambiguous.</summary>
    DuplicateCrc32C,
    /// <summary>The CRC32C TLV does not match the header.</summary>
    Crc32CMismatch,
    /// <summary>A UNIQUE_ID TLV longer than 128 bytes.</summary>
    UniqueIdTooLong,
    /// <summary>An AUTHORITY TLV longer than 255 bytes (HAProxy's limit).</summary>
    AuthorityTooLong,
}
