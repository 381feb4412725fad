using System.Buffers.Binary;
using ToaProxy.Protocol;

namespace ToaProxy.Capture.Tests.Support;

/// <summary>Hand-built bare IP packets (no link header) carrying a TCP header, for filter tests.</summary>
public static class TestPacket
{
    /// <summary>
    /// An IPv4 (<paramref name="ipVersion"/> 4) or IPv6 TCP packet. <paramref name="tcpOptionBytes"/>
    /// (a multiple of 4) of NOP options make the data offset 5 + bytes/4.
    /// </summary>
    public static byte[] Tcp(
        int ipVersion, ushort destinationPort, TcpFlags flags, int tcpOptionBytes = 0,
        int ipv4OptionBytes = 0, ushort ipv4FragmentField = 0, int payloadLength = 0, byte nextHeader = 6)
    {
        int ipHeader = ipVersion == 4 ? 20 + ipv4OptionBytes : 40;
        int tcpHeader = 20 + tcpOptionBytes;
        var packet = new byte[ipHeader + tcpHeader + payloadLength];
        var ip = packet.AsSpan();
        if (ipVersion == 4)
        {
            ip[0] = (byte)(0x40 | (ipHeader / 4));
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)packet.Length);
            BinaryPrimitives.WriteUInt16BigEndian(ip[6..], ipv4FragmentField);
            ip[8] = 64;
            ip[9] = nextHeader;
            ip.Slice(12, 4).Fill(10);
            ip.Slice(16, 4).Fill(20);
            ip.Slice(20, ipv4OptionBytes).Fill(1); // IP NOP options
        }
        else
        {
            ip[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)(tcpHeader + payloadLength));
            ip[6] = nextHeader;
            ip[7] = 64;
            ip[23] = 1;
            ip[39] = 2;
        }

        var tcp = ip[ipHeader..];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, 40000);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], destinationPort);
        tcp[12] = (byte)((tcpHeader / 4) << 4);
        tcp[13] = (byte)flags;
        tcp.Slice(20, tcpOptionBytes).Fill(1); // TCP NOP options
        return packet;
    }
}
