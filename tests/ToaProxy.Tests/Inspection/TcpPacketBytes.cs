using System.Buffers.Binary;
using System.Net;
using ToaProxy.Protocol;

namespace ToaProxy.Tests.Inspection;

/// <summary>Hand-built bare IPv4/IPv6 TCP packets (pcap LINKTYPE_RAW) with chosen options, for capture files.</summary>
internal static class TcpPacketBytes
{
    public static byte[] Build(
        IPEndPoint source, IPEndPoint destination, TcpFlags flags, uint sequence, byte[] options, int payloadLength = 0)
    {
        // Options are padded with EOL to a multiple of 4, as a TCP header requires.
        int optionSpace = (options.Length + 3) & ~3;
        bool v4 = source.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork;
        int ipHeader = v4 ? 20 : 40;
        int tcpHeader = 20 + optionSpace;
        var packet = new byte[ipHeader + tcpHeader + payloadLength];
        Span<byte> ip = packet;
        if (v4)
        {
            ip[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)packet.Length);
            ip[8] = 64;
            ip[9] = 6;
            source.Address.TryWriteBytes(ip[12..], out _);
            destination.Address.TryWriteBytes(ip[16..], out _);
        }
        else
        {
            ip[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)(tcpHeader + payloadLength));
            ip[6] = 6;
            ip[7] = 64;
            source.Address.TryWriteBytes(ip[8..], out _);
            destination.Address.TryWriteBytes(ip[24..], out _);
        }

        Span<byte> tcp = ip[ipHeader..];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, (ushort)source.Port);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], (ushort)destination.Port);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], sequence);
        tcp[12] = (byte)((tcpHeader / 4) << 4);
        tcp[13] = (byte)flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 64240);
        options.CopyTo(tcp[20..]);
        return packet;
    }

    /// <summary>kind, length, port, IPv4 or IPv6 address: the TOA client layouts.</summary>
    public static byte[] Toa(byte kind, IPEndPoint client)
    {
        byte[] address = client.Address.GetAddressBytes();
        var option = new byte[4 + address.Length];
        option[0] = kind;
        option[1] = (byte)option.Length;
        BinaryPrimitives.WriteUInt16BigEndian(option.AsSpan(2), (ushort)client.Port);
        address.CopyTo(option, 4);
        return option;
    }

    /// <summary>MSS 1460, the option every SYN has.</summary>
    public static byte[] Mss => [2, 4, 0x05, 0xB4];
}
