using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace ToaProxy.Capture.Netlink;

/// <summary>
/// Builds one nfnetlink request in a caller buffer: nlmsghdr, nfgenmsg, then attributes, each padded
/// to 4 bytes (the padding counts in nlmsg_len, as libmnl does; nla_len does not include it).
/// </summary>
internal ref struct NetlinkMessageWriter
{
    public const int NfgenHeaderSize = 4;
    public const int AttributeHeaderSize = 4;

    private readonly Span<byte> _buffer;
    private readonly ushort _type;
    private readonly ushort _flags;
    private readonly uint _sequence;
    private int _length;

    public NetlinkMessageWriter(Span<byte> buffer, ushort type, ushort flags, uint sequence)
    {
        _buffer = buffer;
        _type = type;
        _flags = flags;
        _sequence = sequence;
        _length = NetlinkMessageHeader.Size;
    }

    /// <summary>struct nfgenmsg: family, version 0 (NFNETLINK_V0), then res_id (the queue number) big-endian.</summary>
    public void WriteNfgenHeader(byte family, ushort resourceId)
    {
        Span<byte> header = _buffer.Slice(_length, NfgenHeaderSize);
        header[0] = family;
        header[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], resourceId);
        _length += NfgenHeaderSize;
    }

    public void AddAttribute(ushort type, scoped ReadOnlySpan<byte> payload)
    {
        payload.CopyTo(_buffer[(_length + AttributeHeaderSize)..]);
        AddAttributeInPlace(type, payload.Length);
    }

    /// <summary>nfnetlink attributes carry integers in network byte order.</summary>
    public void AddUInt32BigEndian(ushort type, uint value)
    {
        Span<byte> payload = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(payload, value);
        AddAttribute(type, payload);
    }

    /// <summary>Adds an attribute whose <paramref name="payloadLength"/> payload bytes the caller
    /// already placed right after where its header goes (4 bytes past the message's current end): this is how a
    /// rewritten packet enters a verdict without a copy.</summary>
    public void AddAttributeInPlace(ushort type, int payloadLength)
    {
        Span<byte> header = _buffer.Slice(_length, AttributeHeaderSize);
        ushort attributeLength = checked((ushort)(AttributeHeaderSize + payloadLength));
        MemoryMarshal.Write(header, attributeLength);
        MemoryMarshal.Write(header[2..], type);
        int end = _length + attributeLength;
        int aligned = NetlinkMessageHeader.Align(end);
        _buffer[end..aligned].Clear();
        _length = aligned;
    }

    /// <summary>Writes the header now that the length is known; returns the message.</summary>
    public readonly Span<byte> Finish()
    {
        new NetlinkMessageHeader((uint)_length, _type, _flags, _sequence, 0).Write(_buffer);
        return _buffer[.._length];
    }
}
