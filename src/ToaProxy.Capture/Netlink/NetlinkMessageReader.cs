namespace ToaProxy.Capture.Netlink;

/// <summary>Walks the netlink messages of one received datagram (each starts 4-byte aligned).</summary>
internal ref struct NetlinkMessageReader
{
    private readonly ReadOnlySpan<byte> _datagram;
    private int _offset;

    public NetlinkMessageReader(ReadOnlySpan<byte> datagram)
    {
        _datagram = datagram;
        _offset = 0;
        CurrentHeader = default;
        Current = default;
        IsMalformed = false;
    }

    public NetlinkMessageHeader CurrentHeader { get; private set; }

    /// <summary>The whole current message, header included.</summary>
    public ReadOnlySpan<byte> Current { get; private set; }

    public bool IsMalformed { get; private set; }

    public bool MoveNext()
    {
        if (_offset >= _datagram.Length)
        {
            return false;
        }

        if (!NetlinkMessageHeader.TryRead(_datagram[_offset..], out NetlinkMessageHeader header)
            || header.Length < NetlinkMessageHeader.Size || header.Length > _datagram.Length - _offset)
        {
            IsMalformed = true;
            return false;
        }

        CurrentHeader = header;
        Current = _datagram.Slice(_offset, (int)header.Length);
        _offset += NetlinkMessageHeader.Align((int)header.Length);
        return true;
    }
}
