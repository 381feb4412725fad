using System.Buffers.Binary;
using ToaProxy.Protocol;

namespace ToaProxy.Protocol.Tests;

/// <summary>
/// Builds frames byte by byte from the RFC header layouts (IPv4 RFC 791, IPv6 RFC 8200, TCP RFC 9293,
/// Ethernet/802.1Q, Linux cooked v1/v2), independently of the code under test. Checksums are left zero.
/// </summary>
internal static class HandBuiltFrame
{
    public static readonly byte[] ClientV4Source = [10, 1, 2, 3];
    public static readonly byte[] ServerV4 = [10, 9, 8, 7];
    public static readonly byte[] ClientV6Source = [0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x33];
    public static readonly byte[] ServerV6 = [0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x44];

    public const ushort SourcePort = 40000;
    public const ushort DestinationPort = 8080;
    public const uint Sequence = 0x01020304;
    public const uint Acknowledgment = 0xA0B0C0D0;

    /// <summary>A TCP header (options padded with EOL to a multiple of 4) followed by <paramref name="payloadLength"/> bytes.</summary>
    public static byte[] Tcp(byte[] options, int payloadLength = 0, TcpFlags flags = TcpFlags.Ack)
    {
        int optionsLength = (options.Length + 3) / 4 * 4;
        var segment = new byte[20 + optionsLength + payloadLength];
        BinaryPrimitives.WriteUInt16BigEndian(segment, SourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), DestinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(segment.AsSpan(4), Sequence);
        BinaryPrimitives.WriteUInt32BigEndian(segment.AsSpan(8), Acknowledgment);
        segment[12] = (byte)((20 + optionsLength) / 4 << 4);
        segment[13] = (byte)flags;
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(14), 64240);
        options.CopyTo(segment, 20);
        segment.AsSpan(20 + optionsLength).Fill(0xAB);
        return segment;
    }

    public static byte[] IPv4(byte[] tcp, byte[]? ipOptions = null, ushort flagsAndFragmentOffset = 0x4000, byte protocol = 6)
    {
        ipOptions ??= [];
        int headerLength = 20 + ipOptions.Length;
        var packet = new byte[headerLength + tcp.Length];
        packet[0] = (byte)(0x40 | (headerLength / 4));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), 0x1234);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), flagsAndFragmentOffset);
        packet[8] = 64;
        packet[9] = protocol;
        ClientV4Source.CopyTo(packet, 12);
        ServerV4.CopyTo(packet, 16);
        ipOptions.CopyTo(packet, 20);
        tcp.CopyTo(packet, headerLength);
        return packet;
    }

    /// <summary>An IPv6 packet whose extension headers (type, body of 6 + 8n bytes) precede the TCP segment.</summary>
    public static byte[] IPv6(byte[] tcp, params (byte Type, byte[] Body)[] extensionHeaders)
    {
        int extensionLength = extensionHeaders.Sum(header => 2 + header.Body.Length);
        var packet = new byte[40 + extensionLength + tcp.Length];
        packet[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)(extensionLength + tcp.Length));
        packet[6] = extensionHeaders.Length == 0 ? (byte)6 : extensionHeaders[0].Type;
        packet[7] = 64;
        ClientV6Source.CopyTo(packet, 8);
        ServerV6.CopyTo(packet, 24);
        int offset = 40;
        for (int i = 0; i < extensionHeaders.Length; i++)
        {
            byte[] body = extensionHeaders[i].Body;
            packet[offset] = i + 1 < extensionHeaders.Length ? extensionHeaders[i + 1].Type : (byte)6;
            packet[offset + 1] = (byte)((2 + body.Length) / 8 - 1);
            body.CopyTo(packet, offset + 2);
            offset += 2 + body.Length;
        }

        tcp.CopyTo(packet, offset);
        return packet;
    }

    /// <summary>Destination MAC, source MAC, then one 4-byte tag per TPID (0x8100, 0x88a8), then the EtherType.</summary>
    public static byte[] Ethernet(byte[] ip, params ushort[] vlanTpids)
    {
        var frame = new byte[14 + (4 * vlanTpids.Length) + ip.Length];
        byte[] macs = [0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01];
        macs.CopyTo(frame, 0);
        int offset = 12;
        for (int i = 0; i < vlanTpids.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(offset), vlanTpids[i]);
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(offset + 2), (ushort)(100 + i));
            offset += 4;
        }

        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(offset), EtherTypeOf(ip));
        ip.CopyTo(frame, offset + 2);
        return frame;
    }

    /// <summary>Linux cooked v1: packet type(2) ARPHRD(2) address length(2) address(8) protocol(2).</summary>
    public static byte[] LinuxSll(byte[] ip)
    {
        var frame = new byte[16 + ip.Length];
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), 1);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(4), 6);
        byte[] mac = [0x02, 0, 0, 0, 0, 0x01];
        mac.CopyTo(frame, 6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14), EtherTypeOf(ip));
        ip.CopyTo(frame, 16);
        return frame;
    }

    /// <summary>Linux cooked v2: protocol(2) reserved(2) ifindex(4) ARPHRD(2) packet type(1) address length(1) address(8).</summary>
    public static byte[] LinuxSll2(byte[] ip)
    {
        var frame = new byte[20 + ip.Length];
        BinaryPrimitives.WriteUInt16BigEndian(frame, EtherTypeOf(ip));
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), 3);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(8), 1);
        frame[11] = 6;
        byte[] mac = [0x02, 0, 0, 0, 0, 0x01];
        mac.CopyTo(frame, 12);
        ip.CopyTo(frame, 20);
        return frame;
    }

    public static byte[] Wrap(FrameShape shape, byte[] ip) => shape switch
    {
        FrameShape.Ethernet => Ethernet(ip),
        FrameShape.EthernetVlan => Ethernet(ip, 0x8100),
        FrameShape.EthernetQinQ => Ethernet(ip, 0x88A8, 0x8100),
        FrameShape.LinuxSll => LinuxSll(ip),
        FrameShape.LinuxSll2 => LinuxSll2(ip),
        FrameShape.RawIp => ip,
        _ => throw new ArgumentOutOfRangeException(nameof(shape)),
    };

    public static LinkType LinkTypeOf(FrameShape shape) => shape switch
    {
        FrameShape.LinuxSll => LinkType.LinuxSll,
        FrameShape.LinuxSll2 => LinkType.LinuxSll2,
        FrameShape.RawIp => LinkType.RawIp,
        _ => LinkType.Ethernet,
    };

    public static int LinkHeaderLength(FrameShape shape) => shape switch
    {
        FrameShape.Ethernet => 14,
        FrameShape.EthernetVlan => 18,
        FrameShape.EthernetQinQ => 22,
        FrameShape.LinuxSll => 16,
        FrameShape.LinuxSll2 => 20,
        _ => 0,
    };

    private static ushort EtherTypeOf(byte[] ip) => ip[0] >> 4 == 6 ? (ushort)0x86DD : (ushort)0x0800;
}
