using System.Runtime.InteropServices;

namespace ToaProxy.Capture.Netlink;

/// <summary>
/// Walks the attributes of a message body (or of a nested attribute's payload), allocation-free.
/// Stops at the first attribute whose nla_len is below 4 or runs past the data, and says so in
/// <see cref="IsMalformed"/>.
/// </summary>
internal ref struct NetlinkAttributeReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _offset;

    public NetlinkAttributeReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _offset = 0;
        Current = default;
        IsMalformed = false;
    }

    public NetlinkAttribute Current { get; private set; }

    public bool IsMalformed { get; private set; }

    public readonly NetlinkAttributeReader GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_data.Length - _offset < NetlinkMessageWriter.AttributeHeaderSize)
        {
            IsMalformed = _offset < _data.Length;
            return false;
        }

        ReadOnlySpan<byte> header = _data[_offset..];
        int length = MemoryMarshal.Read<ushort>(header);
        ushort type = MemoryMarshal.Read<ushort>(header[2..]);
        if (length < NetlinkMessageWriter.AttributeHeaderSize || length > header.Length)
        {
            IsMalformed = true;
            return false;
        }

        Current = new NetlinkAttribute(type, header[NetlinkMessageWriter.AttributeHeaderSize..length]);
        _offset = Math.Min(_data.Length, _offset + NetlinkMessageHeader.Align(length));
        return true;
    }
}
