namespace ToaProxy.Protocol;

/// <summary>Fixed values of the PROXY v2 binary header (HAProxy doc/proxy-protocol.txt, section 2.2).</summary>
public static class ProxyV2Format
{
    /// <summary>Signature (12) + version/command (1) + family/transport (1) + length (2).</summary>
    public const int FixedHeaderLength = 16;

    public const int SignatureLength = 12;

    public const byte Version = 2;

    /// <summary>Address block: 2 × 4-byte address + 2 × 2-byte port.</summary>
    public const int InetAddressBlockLength = 12;

    /// <summary>Address block: 2 × 16-byte address + 2 × 2-byte port.</summary>
    public const int Inet6AddressBlockLength = 36;

    /// <summary>Address block: 2 × 108-byte socket path.</summary>
    public const int UnixAddressBlockLength = 216;

    /// <summary>Type (1) + length (2).</summary>
    public const int TlvHeaderLength = 3;

    public const int Crc32CValueLength = 4;

    /// <summary>The spec's limit for PP2_TYPE_UNIQUE_ID.</summary>
    public const int UniqueIdMaxLength = 128;

    /// <summary>HAProxy rejects longer AUTHORITY values (PP2_AUTHORITY_MAX), so we neither send nor accept them.</summary>
    public const int AuthorityMaxLength = 255;

    public const byte CustomTlvTypeFirst = 0xE0;

    public const byte CustomTlvTypeLast = 0xEF;

    /// <summary>The length field is 16 bits.</summary>
    public const int MaxHeaderLength = FixedHeaderLength + ushort.MaxValue;

    public static ReadOnlySpan<byte> Signature => [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    /// <summary>Length of the address block for a family; 0 for UNSPEC.</summary>
    public static int AddressBlockLength(ProxyAddressFamily family) => family switch
    {
        ProxyAddressFamily.Inet => InetAddressBlockLength,
        ProxyAddressFamily.Inet6 => Inet6AddressBlockLength,
        ProxyAddressFamily.Unix => UnixAddressBlockLength,
        _ => 0,
    };
}
