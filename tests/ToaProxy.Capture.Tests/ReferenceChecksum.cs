namespace ToaProxy.Capture.Tests;

/// <summary>A deliberately naive RFC 1071 checksum (16-bit words, one at a time), independent of the production code.</summary>
internal static class ReferenceChecksum
{
    public static ushort Compute(params byte[][] parts)
    {
        var all = parts.SelectMany(p => p).ToList();
        if (all.Count % 2 == 1)
        {
            all.Add(0);
        }

        uint sum = 0;
        for (int i = 0; i < all.Count; i += 2)
        {
            sum += (uint)((all[i] << 8) | all[i + 1]);
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }

    /// <summary>True when the TCP checksum of a bare IPv4/IPv6 packet is right.</summary>
    public static bool TcpChecksumIsValid(byte[] packet)
    {
        ParsedTcpPacket parsed = ParsedTcpPacket.Parse(packet);
        byte[] segment = packet[parsed.TcpOffset..parsed.PacketLength];
        return Compute(PseudoHeader(packet, parsed.IpVersion, segment.Length), segment) == 0;
    }

    public static bool Ipv4HeaderChecksumIsValid(byte[] packet) => Compute(packet[..((packet[0] & 0xF) * 4)]) == 0;

    public static byte[] PseudoHeader(byte[] packet, int ipVersion, int segmentLength)
    {
        byte[] addresses = ipVersion == 4 ? packet[12..20] : packet[8..40];
        return [.. addresses, 0, 6, (byte)(segmentLength >> 8), (byte)segmentLength];
    }
}
