using ToaProxy.Protocol;
using static ToaProxy.Protocol.Tests.TcpOptionBytes;

namespace ToaProxy.Protocol.Tests;

public class ToaOptionStripperTests
{
    private static readonly byte[] Payload = [0x47, 0x45, 0x54, 0x20, 0x2F, 0x0D, 0x0A]; // odd length on purpose

    public static TheoryData<int, byte[]> PacketsWithToa() => new()
    {
        { 4, Concat(Toa254V4, Nop, Nop, Timestamps) },
        { 4, Concat(Mss, SackPermitted, Timestamps, Nop, WindowScale, Toa254V4) },
        { 4, Concat(Nop, Toa254V4, Nop, Nop, Nop) }, // TOA at an odd offset
        { 4, Concat(Nop, Nop, Timestamps, Toa254V4, Nop, Nop, [201, 6, 0, 0, 0, 7]) },
        { 6, Concat(Mss, SackPermitted, Timestamps, Nop, WindowScale, Toa253V6) },
        { 6, Concat(Nop, Toa253V6, Nop, Nop, Nop) },
        { 6, Concat([254, 20, 0x30, 0x39, 0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7], Nop, Nop, Timestamps) },
    };

    /// <summary>Turns an IPv4 test packet into a SYN (a TFO SYN may carry data), checksum fixed.</summary>
    private static byte[] AsSyn(byte[] ipv4Packet)
    {
        ipv4Packet[20 + 13] = (byte)TcpFlags.Syn;
        Assert.True(TcpChecksum.TryUpdate(ipv4Packet));
        return ipv4Packet;
    }

    private static byte[] Packet(int version, byte[] options) => version == 4
        ? PacketDotNetFrame.IPv4("192.0.2.10", "192.0.2.20", options, Payload).Bytes
        : PacketDotNetFrame.IPv6("2001:db8::a", "2001:db8::b", options, Payload).Bytes;

    [Theory]
    [MemberData(nameof(PacketsWithToa))]
    public void Strips_toa_to_nops_and_keeps_the_checksum_valid(int version, byte[] options)
    {
        byte[] original = Packet(version, options);
        byte[] packet = (byte[])original.Clone();
        Assert.True(TcpChecksum.Verify(packet));
        int tcpOffset = version == 4 ? 20 : 40;
        var toaBytes = new HashSet<int>();
        foreach (TcpOption option in new TcpOptionReader(options))
        {
            if (option.Kind is 254 or 253 or 201)
            {
                toaBytes.UnionWith(Enumerable.Range(tcpOffset + 20 + option.Offset, option.Length));
            }
        }

        Assert.True(ToaOptionStripper.Strip(packet, ToaOptionTable.Default));

        Assert.True(TcpChecksum.Verify(packet));
        Assert.True(PacketDotNetFrame.HasValidTcpChecksum(packet));
        for (int i = 0; i < packet.Length; i++)
        {
            if (toaBytes.Contains(i))
            {
                Assert.Equal(TcpOptionKind.NoOperation, packet[i]);
            }
            else if (i != tcpOffset + 16 && i != tcpOffset + 17)
            {
                Assert.Equal(original[i], packet[i]);
            }
        }

        Assert.Equal(FrameParseStatus.Ok, TcpFrameReader.TryRead(packet, LinkType.RawIp, out TcpSegment segment));
        Assert.Equal(ToaScanResult.None, ToaDecoder.Scan(segment.Options, ToaOptionTable.Default, new ToaOption[4]));
    }

    [Fact]
    public void Leaves_packets_without_toa_unchanged()
    {
        byte[] original = Packet(4, Concat(Mss, SackPermitted, Timestamps, Nop, WindowScale));
        byte[] packet = (byte[])original.Clone();

        Assert.False(ToaOptionStripper.Strip(packet, ToaOptionTable.Default));
        Assert.Equal(original, packet);
    }

    [Fact]
    public void Keeps_tcp_fast_open_cookies_on_a_syn_and_disabled_kinds()
    {
        byte[] fastOpen = [254, 8, 0xF9, 0x89, 1, 2, 3, 4];
        byte[] cdn = [28, 7, 1, 203, 0, 113, 7, 1];
        byte[] original = AsSyn(Packet(4, Concat(fastOpen, cdn, Toa254V4)));
        byte[] packet = (byte[])original.Clone();

        Assert.True(ToaOptionStripper.Strip(packet, ToaOptionTable.Default));

        Assert.Equal(original[..(40 + 16)], packet[..(40 + 16)].Select((value, i) => i is 36 or 37 ? original[i] : value));
        Assert.Equal(Enumerable.Repeat((byte)1, 8), packet[56..64]);
        Assert.True(TcpChecksum.Verify(packet));
    }

    [Fact]
    public void After_the_syn_a_254_option_starting_f9_89_is_toa_and_is_stripped()
    {
        byte[] packet = Packet(4, [254, 8, 0xF9, 0x89, 203, 0, 113, 7]);

        Assert.True(ToaOptionStripper.Strip(packet, ToaOptionTable.Default));
        Assert.Equal(Enumerable.Repeat((byte)1, 8), packet[40..48]);
        Assert.True(TcpChecksum.Verify(packet));
    }

    [Fact]
    public void Strips_invalid_content_too()
    {
        byte[] packet = Packet(4, [254, 8, 0, 0, 0, 0, 0, 0]);

        Assert.True(ToaOptionStripper.Strip(packet, ToaOptionTable.Default));
        Assert.Equal(Enumerable.Repeat((byte)1, 8), packet[40..48]);
        Assert.True(TcpChecksum.Verify(packet));
    }

    [Fact]
    public void Rejects_non_tcp_and_truncated_input_without_change()
    {
        byte[] udp = HandBuiltFrame.IPv4(new byte[28], protocol: 17);
        byte[] truncated = Packet(4, Toa254V4)[..30];

        Assert.False(ToaOptionStripper.Strip(udp, ToaOptionTable.Default));
        Assert.False(ToaOptionStripper.Strip(truncated, ToaOptionTable.Default));
        Assert.False(ToaOptionStripper.Strip([], ToaOptionTable.Default));
    }

    [Fact]
    public void A_bad_checksum_stays_bad()
    {
        byte[] packet = Packet(4, Toa254V4);
        packet[^1] ^= 0xFF;

        Assert.True(ToaOptionStripper.Strip(packet, ToaOptionTable.Default));
        Assert.False(TcpChecksum.Verify(packet));
    }
}
