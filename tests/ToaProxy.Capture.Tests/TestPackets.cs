namespace ToaProxy.Capture.Tests;

/// <summary>Hand-built TCP packets with correct checksums (computed by <see cref="ReferenceChecksum"/>).</summary>
internal static class TestPackets
{
    /// <summary>What Linux puts on a SYN: MSS 65495, SACK-permitted, timestamps, NOP, window scale 7 (20 bytes).</summary>
    public static readonly byte[] LinuxSynOptions = [2, 4, 0xFF, 0xD7, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7];

    /// <summary>What Linux puts on later segments: NOP, NOP, timestamps (12 bytes).</summary>
    public static readonly byte[] LinuxTimestampOptions = [1, 1, 8, 10, 0, 0, 0, 2, 0, 0, 0, 1];

    public static byte[] Ipv4(byte flags, byte[] options, byte[] payload, ushort sourcePort = 40000, ushort destinationPort = 8080)
    {
        byte[] tcp = Tcp(flags, options, payload, sourcePort, destinationPort);
        int total = 20 + tcp.Length;
        byte[] header = [0x45, 0, (byte)(total >> 8), (byte)total, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0, 127, 0, 0, 1, 127, 0, 0, 2];
        ushort ipChecksum = ReferenceChecksum.Compute(header);
        header[10] = (byte)(ipChecksum >> 8);
        header[11] = (byte)ipChecksum;
        return Finish([.. header, .. tcp], 4, 20);
    }

    public static byte[] Ipv6(byte flags, byte[] options, byte[] payload, ushort sourcePort = 40000, ushort destinationPort = 8080)
    {
        byte[] tcp = Tcp(flags, options, payload, sourcePort, destinationPort);
        byte[] source = new byte[16];
        source[15] = 1;
        byte[] destination = [0x20, 0x01, 0x0d, 0xb8, .. new byte[11], 2];
        byte[] header = [0x60, 0, 0, 0, (byte)(tcp.Length >> 8), (byte)tcp.Length, 6, 64, .. source, .. destination];
        return Finish([.. header, .. tcp], 6, 40);
    }

    private static byte[] Tcp(byte flags, byte[] options, byte[] payload, ushort sourcePort, ushort destinationPort)
    {
        if (options.Length % 4 != 0)
        {
            throw new ArgumentException("options must be padded to 4 bytes", nameof(options));
        }

        int headerLength = 20 + options.Length;
        byte[] header =
        [
            (byte)(sourcePort >> 8), (byte)sourcePort, (byte)(destinationPort >> 8), (byte)destinationPort,
            0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
            (byte)((headerLength / 4) << 4), flags, 0xFF, 0xFF, 0, 0, 0, 0,
        ];
        return [.. header, .. options, .. payload];
    }

    private static byte[] Finish(byte[] packet, int ipVersion, int tcpOffset)
    {
        byte[] segment = packet[tcpOffset..];
        ushort checksum = ReferenceChecksum.Compute(ReferenceChecksum.PseudoHeader(packet, ipVersion, segment.Length), segment);
        packet[tcpOffset + 16] = (byte)(checksum >> 8);
        packet[tcpOffset + 17] = (byte)checksum;
        return packet;
    }
}
