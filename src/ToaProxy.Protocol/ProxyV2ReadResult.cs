namespace ToaProxy.Protocol;

/// <summary>
/// What <see cref="ProxyV2Reader.Read"/> found. On <see cref="ProxyReadStatus.Complete"/> the
/// header is the first <see cref="HeaderLength"/> bytes of the input; the TLVs are located by
/// offsets into that input, so pass the same input to <see cref="EnumerateTlvs"/>.
/// </summary>
public readonly record struct ProxyV2ReadResult(
    ProxyReadStatus Status,
    ProxyV2Rejection Rejection,
    ProxyHeader Header,
    int HeaderLength,
    int TlvOffset,
    int TlvLength)
{
    public bool IsComplete => Status == ProxyReadStatus.Complete;

    public static ProxyV2ReadResult NeedMoreData => new(ProxyReadStatus.NeedMoreData, ProxyV2Rejection.None, default, 0, 0, 0);

    public static ProxyV2ReadResult Invalid(ProxyV2Rejection rejection) => new(ProxyReadStatus.Invalid, rejection, default, 0, 0, 0);

    /// <summary>The TLVs in wire order, as slices of <paramref name="input"/> (the span that was read).</summary>
    public ProxyV2TlvEnumerator EnumerateTlvs(ReadOnlySpan<byte> input) =>
        IsComplete ? new(input, TlvOffset, TlvOffset + TlvLength) : default;

    /// <summary>The value of the first TLV of <paramref name="type"/>.</summary>
    public bool TryGetTlv(ReadOnlySpan<byte> input, byte type, out ReadOnlySpan<byte> value)
    {
        foreach (ProxyV2TlvEntry tlv in EnumerateTlvs(input))
        {
            if (tlv.Type == type)
            {
                value = tlv.Value;
                return true;
            }
        }

        value = default;
        return false;
    }

    public bool TryGetTlv(ReadOnlySpan<byte> input, ProxyV2TlvType type, out ReadOnlySpan<byte> value) =>
        TryGetTlv(input, (byte)type, out value);
}
