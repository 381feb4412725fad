using System.Runtime.InteropServices;

namespace ToaProxy.Capture.Netlink;

/// <summary>struct nlmsghdr: 16 bytes in host byte order (netlink is not a network protocol).</summary>
internal readonly record struct NetlinkMessageHeader(uint Length, ushort Type, ushort Flags, uint Sequence, uint PortId)
{
    public const int Size = 16;

    /// <summary>NLMSG_ERROR: an error code and the request it answers; code 0 is an acknowledgment.</summary>
    public const ushort TypeError = 2;

    public const ushort FlagRequest = 0x1;
    public const ushort FlagAck = 0x4;

    /// <summary>NLMSG_ALIGN / NLA_ALIGN: messages and attributes start on 4-byte boundaries.</summary>
    public static int Align(int length) => (length + 3) & ~3;

    public static bool TryRead(ReadOnlySpan<byte> source, out NetlinkMessageHeader header)
    {
        if (source.Length < Size)
        {
            header = default;
            return false;
        }

        header = new NetlinkMessageHeader(
            MemoryMarshal.Read<uint>(source),
            MemoryMarshal.Read<ushort>(source[4..]),
            MemoryMarshal.Read<ushort>(source[6..]),
            MemoryMarshal.Read<uint>(source[8..]),
            MemoryMarshal.Read<uint>(source[12..]));
        return true;
    }

    public void Write(Span<byte> destination)
    {
        MemoryMarshal.Write(destination, Length);
        MemoryMarshal.Write(destination[4..], Type);
        MemoryMarshal.Write(destination[6..], Flags);
        MemoryMarshal.Write(destination[8..], Sequence);
        MemoryMarshal.Write(destination[12..], PortId);
    }
}
