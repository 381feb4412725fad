using System.Net;
using System.Net.NetworkInformation;
using PacketDotNet;
using PacketDotNet.Utils;

namespace ToaProxy.Protocol.Tests;

/// <summary>
/// Builds frames with PacketDotNet, a second implementation of the header layouts and of the
/// TCP checksum. PacketDotNet cannot grow a TCP header's options, so the header is parsed from a
/// buffer of the right size and then filled in through its properties.
/// </summary>
internal static class PacketDotNetFrame
{
    public const ushort SourcePort = 51000;
    public const ushort DestinationPort = 443;

    public static TcpPacket Tcp(byte[] options, byte[] payload, bool syn = false)
    {
        int optionsLength = (options.Length + 3) / 4 * 4;
        var bytes = new byte[20 + optionsLength + payload.Length];
        bytes[12] = (byte)((20 + optionsLength) / 4 << 4);
        options.CopyTo(bytes, 20);
        payload.CopyTo(bytes, 20 + optionsLength);
        return new TcpPacket(new ByteArraySegment(bytes))
        {
            SourcePort = SourcePort,
            DestinationPort = DestinationPort,
            SequenceNumber = 1000,
            AcknowledgmentNumber = syn ? 0u : 2000u,
            Synchronize = syn,
            Acknowledgment = !syn,
            WindowSize = 65535,
        };
    }

    public static IPv4Packet IPv4(string source, string destination, byte[] options, byte[] payload, bool syn = false)
    {
        TcpPacket tcp = Tcp(options, payload, syn);
        var ip = new IPv4Packet(IPAddress.Parse(source), IPAddress.Parse(destination)) { PayloadPacket = tcp };
        ip.UpdateCalculatedValues();
        ip.UpdateIPChecksum();
        tcp.UpdateTcpChecksum();
        return ip;
    }

    public static IPv6Packet IPv6(string source, string destination, byte[] options, byte[] payload, bool syn = false)
    {
        TcpPacket tcp = Tcp(options, payload, syn);
        var ip = new IPv6Packet(IPAddress.Parse(source), IPAddress.Parse(destination)) { PayloadPacket = tcp };
        ip.UpdateCalculatedValues();
        tcp.UpdateTcpChecksum();
        return ip;
    }

    public static byte[] Ethernet(IPPacket ip)
    {
        EthernetType type = ip is IPv6Packet ? EthernetType.IPv6 : EthernetType.IPv4;
        var ethernet = new EthernetPacket(
            PhysicalAddress.Parse("02-00-00-00-00-02"), PhysicalAddress.Parse("02-00-00-00-00-01"), type)
        {
            PayloadPacket = ip,
        };
        return ethernet.Bytes;
    }

    /// <summary>Whether PacketDotNet, parsing the raw IP bytes afresh, finds the TCP checksum valid.</summary>
    public static bool HasValidTcpChecksum(byte[] ipPacket)
    {
        Packet packet = ipPacket[0] >> 4 == 6
            ? new IPv6Packet(new ByteArraySegment(ipPacket))
            : new IPv4Packet(new ByteArraySegment(ipPacket));
        return packet.Extract<TcpPacket>() is { } tcp && tcp.ValidTcpChecksum;
    }
}
