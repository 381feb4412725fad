using System.Buffers.Binary;

namespace ToaProxy.Protocol;

/// <summary>Walks the TLVs of a header that <see cref="ProxyV2Reader"/> accepted (so every TLV is
/// known to fit); usable in foreach without allocating.</summary>
public ref struct ProxyV2TlvEnumerator
{
    private readonly ReadOnlySpan<byte> _input;
    private readonly int _end;
    private int _next;

    internal ProxyV2TlvEnumerator(ReadOnlySpan<byte> input, int start, int end)
    {
        _input = input;
        _next = start;
        _end = end;
        Current = default;
    }

    public ProxyV2TlvEntry Current { get; private set; }

    public readonly ProxyV2TlvEnumerator GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_next + ProxyV2Format.TlvHeaderLength > _end)
        {
            return false;
        }

        int valueLength = BinaryPrimitives.ReadUInt16BigEndian(_input[(_next + 1)..]);
        int valueOffset = _next + ProxyV2Format.TlvHeaderLength;
        if (valueOffset + valueLength > _end)
        {
            return false;
        }

        Current = new ProxyV2TlvEntry(_input[_next], _input.Slice(valueOffset, valueLength), valueOffset);
        _next = valueOffset + valueLength;
        return true;
    }
}
