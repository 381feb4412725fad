namespace ToaProxy.Protocol;

/// <summary>One TLV of a parsed header: its type and its value as a slice of the reader's input.</summary>
public readonly ref struct ProxyV2TlvEntry
{
    public ProxyV2TlvEntry(byte type, ReadOnlySpan<byte> value, int valueOffset)
    {
        Type = type;
        Value = value;
        ValueOffset = valueOffset;
    }

    /// <summary>The raw type byte; compare with <see cref="ProxyV2TlvType"/> or the 0xE0–0xEF range.</summary>
    public byte Type { get; }

    public ReadOnlySpan<byte> Value { get; }

    /// <summary>Where <see cref="Value"/> starts in the reader's input.</summary>
    public int ValueOffset { get; }
}
