namespace ToaProxy.Protocol;

/// <summary>One kind+length option found by <see cref="TcpOptionReader"/>, as a view into the options area.</summary>
public readonly ref struct TcpOption
{
    public TcpOption(byte kind, byte length, int offset, ReadOnlySpan<byte> data)
    {
        Kind = kind;
        Length = length;
        Offset = offset;
        Data = data;
    }

    public byte Kind { get; }

    /// <summary>The option's length byte: kind and length bytes included, so <see cref="Data"/> is two shorter.</summary>
    public byte Length { get; }

    /// <summary>Offset of the kind byte within the options area (for rewriting the option in place).</summary>
    public int Offset { get; }

    /// <summary>The bytes after kind and length.</summary>
    public ReadOnlySpan<byte> Data { get; }
}
