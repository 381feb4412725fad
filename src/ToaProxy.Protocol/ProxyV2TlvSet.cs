namespace ToaProxy.Protocol;

/// <summary>
/// The TLVs to append to a PROXY v2 header. A ref struct over the caller's spans, so building one
/// per connection allocates nothing. An empty span means "absent". Written in this order:
/// CRC32C, ALPN, AUTHORITY, UNIQUE_ID, custom, NOOP.
/// </summary>
public readonly ref struct ProxyV2TlvSet
{
    public static ProxyV2TlvSet None => default;

    public ReadOnlySpan<byte> Alpn { get; init; }

    /// <summary>Host name (SNI), UTF-8, at most <see cref="ProxyV2Format.AuthorityMaxLength"/> bytes.</summary>
    public ReadOnlySpan<byte> Authority { get; init; }

    /// <summary>At most <see cref="ProxyV2Format.UniqueIdMaxLength"/> bytes.</summary>
    public ReadOnlySpan<byte> UniqueId { get; init; }

    /// <summary>Types 0xE0–0xEF only.</summary>
    public ReadOnlySpan<ProxyV2CustomTlv> Custom { get; init; }

    /// <summary>When set, a NOOP TLV with this many zero bytes of value (0 is a 3-byte TLV).</summary>
    public int? NoopLength { get; init; }

    /// <summary>Adds a CRC32C TLV computed over the finished header.</summary>
    public bool Crc32C { get; init; }

    /// <summary>Bytes these TLVs take on the wire.</summary>
    public int EncodedLength
    {
        get
        {
            int length = 0;
            if (Crc32C)
            {
                length += ProxyV2Format.TlvHeaderLength + ProxyV2Format.Crc32CValueLength;
            }

            length += OptionalLength(Alpn) + OptionalLength(Authority) + OptionalLength(UniqueId);
            foreach (ProxyV2CustomTlv tlv in Custom)
            {
                length += ProxyV2Format.TlvHeaderLength + tlv.Value.Length;
            }

            if (NoopLength is int noop)
            {
                length += ProxyV2Format.TlvHeaderLength + noop;
            }

            return length;
        }
    }

    private static int OptionalLength(ReadOnlySpan<byte> value) =>
        value.IsEmpty ? 0 : ProxyV2Format.TlvHeaderLength + value.Length;
}
