using System.Buffers.Binary;
using System.Net;
using ToaProxy.Protocol;

namespace ToaProxy.Capture.Tests.Integration;

/// <summary>
/// Hand-built raw IP (IPv4 or IPv6) TCP packets from any source to any destination, with correct
/// IP and TCP checksums, as a capture backend hands them to its sink (<see cref="LinkType.RawIp"/>).
/// </summary>
internal static class CraftedFrame
{
    public static byte[] Tcp(
        string source, ushort sourcePort, string destination, ushort destinationPort, TcpFlags flags, byte[] options, int payloadLength = 0)
    {
        IPAddress from = IPAddress.Parse(source);
        IPAddress to = IPAddress.Parse(destination);
        if (from.AddressFamily != to.AddressFamily)
        {
            throw new ArgumentException("source and destination must be of one family", nameof(destination));
        }

        // Pad with NOPs in front, as Linux does, so the options area is a multiple of 4.
        byte[] padded = [.. Enumerable.Repeat((byte)1, (4 - (options.Length % 4)) % 4), .. options];
        int tcpLength = 20 + padded.Length + payloadLength;
        bool v4 = from.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork;
        int ipLength = v4 ? 20 : 40;
        byte[] packet = new byte[ipLength + tcpLength];
        Span<byte> ip = packet;
        if (v4)
        {
            ip[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)packet.Length);
            ip[6] = 0x40;
            ip[8] = 64;
            ip[9] = 6;
            from.GetAddressBytes().CopyTo(ip[12..]);
            to.GetAddressBytes().CopyTo(ip[16..]);
            ushort headerChecksum = ReferenceChecksum.Compute(packet[..20]);
            BinaryPrimitives.WriteUInt16BigEndian(ip[10..], headerChecksum);
        }
        else
        {
            ip[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)tcpLength);
            ip[6] = 6;
            ip[7] = 64;
            from.GetAddressBytes().CopyTo(ip[8..]);
            to.GetAddressBytes().CopyTo(ip[24..]);
        }

        Span<byte> tcp = ip[ipLength..];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], 0x11223344);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], (flags & TcpFlags.Ack) != 0 ? 0x55667788u : 0);
        tcp[12] = (byte)((20 + padded.Length) / 4 << 4);
        tcp[13] = (byte)flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 0xFFFF);
        padded.CopyTo(tcp[20..]);
        tcp[(20 + padded.Length)..].Fill(0xAB);
        if (!TcpChecksum.TryUpdate(packet))
        {
            throw new InvalidOperationException("the crafted packet does not parse");
        }

        return packet;
    }

    /// <summary>kind, 8, port, IPv4 address.</summary>
    public static byte[] ToaV4(byte kind, ushort port, string address) =>
        [kind, 8, (byte)(port >> 8), (byte)port, .. IPAddress.Parse(address).GetAddressBytes()];

    /// <summary>kind, 20, port, IPv6 address.</summary>
    public static byte[] ToaV6(byte kind, ushort port, string address) =>
        [kind, 20, (byte)(port >> 8), (byte)port, .. IPAddress.Parse(address).MapToIPv6().GetAddressBytes()];
}
