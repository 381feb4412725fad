namespace ToaProxy.Capture.Tests;

/// <summary>A test's own minimal parse of a bare IPv4/IPv6 TCP packet, independent of the production code.</summary>
internal sealed record ParsedTcpPacket(
    int IpVersion, int TcpOffset, int PacketLength, ushort SourcePort, ushort DestinationPort, byte Flags,
    byte[] OptionBytes, IReadOnlyList<byte[]> Options, byte[] Payload)
{
    public bool IsSyn => (Flags & 0x12) == 0x02;

    public byte[]? FindOption(byte kind) => Options.FirstOrDefault(o => o[0] == kind);

    public static ParsedTcpPacket Parse(ReadOnlySpan<byte> bytes)
    {
        byte[] packet = bytes.ToArray();
        int version = packet[0] >> 4;
        int tcpOffset = version == 4 ? (packet[0] & 0xF) * 4 : 40;
        int packetLength = version == 4 ? (packet[2] << 8) | packet[3] : 40 + ((packet[4] << 8) | packet[5]);
        int dataOffset = (packet[tcpOffset + 12] >> 4) * 4;
        byte[] optionBytes = packet[(tcpOffset + 20)..(tcpOffset + dataOffset)];
        var options = new List<byte[]>();
        for (int i = 0; i < optionBytes.Length;)
        {
            if (optionBytes[i] == 0)
            {
                break;
            }

            if (optionBytes[i] == 1)
            {
                i++;
                continue;
            }

            int length = optionBytes[i + 1];
            options.Add(optionBytes[i..(i + length)]);
            i += length;
        }

        return new ParsedTcpPacket(
            version, tcpOffset, packetLength,
            (ushort)((packet[tcpOffset] << 8) | packet[tcpOffset + 1]),
            (ushort)((packet[tcpOffset + 2] << 8) | packet[tcpOffset + 3]),
            packet[tcpOffset + 13], optionBytes, options, packet[(tcpOffset + dataOffset)..packetLength]);
    }
}
