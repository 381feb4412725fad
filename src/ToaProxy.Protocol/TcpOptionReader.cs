namespace ToaProxy.Protocol;

/// <summary>
/// Walks a TCP options area per RFC 9293 without allocating: EOL ends the walk, NOP is one byte,
/// every other kind is kind+length+data. NOP and EOL are consumed, not yielded. A missing length
/// byte, a length below 2, or a length running past the area stops the walk and sets
/// <see cref="IsMalformed"/>; options yielded before the fault stay valid.
/// Use with foreach, or call <see cref="MoveNext"/> and read <see cref="Current"/>.
/// </summary>
public ref struct TcpOptionReader
{
    private readonly ReadOnlySpan<byte> _options;
    private int _next;
    private TcpOption _current;

    public TcpOptionReader(ReadOnlySpan<byte> options)
    {
        _options = options;
    }

    public readonly TcpOption Current => _current;

    /// <summary>True once the walk has stopped at an option whose length is missing or invalid.</summary>
    public bool IsMalformed { get; private set; }

    /// <summary>Kind of the malformed option; meaningful only when <see cref="IsMalformed"/>.</summary>
    public byte FaultKind { get; private set; }

    /// <summary>Length byte of the malformed option, 0 when the area ended before it.</summary>
    public byte FaultLength { get; private set; }

    /// <summary>Offset of the malformed option's kind byte within the options area.</summary>
    public int FaultOffset { get; private set; }

    public readonly TcpOptionReader GetEnumerator() => this;

    public bool MoveNext()
    {
        while (_next < _options.Length)
        {
            byte kind = _options[_next];
            if (kind == TcpOptionKind.EndOfOptionList)
            {
                _next = _options.Length;
                return false;
            }

            if (kind == TcpOptionKind.NoOperation)
            {
                _next++;
                continue;
            }

            if (_next + 1 >= _options.Length)
            {
                return Fault(kind, 0);
            }

            byte length = _options[_next + 1];
            if (length < 2 || length > _options.Length - _next)
            {
                return Fault(kind, length);
            }

            _current = new TcpOption(kind, length, _next, _options.Slice(_next + 2, length - 2));
            _next += length;
            return true;
        }

        return false;
    }

    private bool Fault(byte kind, byte length)
    {
        IsMalformed = true;
        FaultKind = kind;
        FaultLength = length;
        FaultOffset = _next;
        _next = _options.Length;
        return false;
    }
}
