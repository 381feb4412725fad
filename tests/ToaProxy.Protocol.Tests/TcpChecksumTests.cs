using System.Buffers.Binary;
using ToaProxy.Protocol;
using static ToaProxy.Protocol.Tests.TcpOptionBytes;

namespace ToaProxy.Protocol.Tests;

public class TcpChecksumTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1001)]
    public void Matches_packetdotnet_for_ipv4_and_ipv6(int payloadLength)
    {
        byte[] payload = Enumerable.Range(0, payloadLength).Select(i => (byte)(i * 7)).ToArray();
        byte[] v4 = PacketDotNetFrame.IPv4("192.0.2.10", "198.51.100.20", Concat(Mss, Toa254V4), payload).Bytes;
        byte[] v6 = PacketDotNetFrame.IPv6("2001:db8::a", "2001:db8:ffff::b", Concat(Toa253V6), payload).Bytes;

        Assert.Equal(BinaryPrimitives.ReadUInt16BigEndian(v4.AsSpan(36)), TcpChecksum.Compute(v4));
        Assert.Equal(BinaryPrimitives.ReadUInt16BigEndian(v6.AsSpan(56)), TcpChecksum.Compute(v6));
        Assert.True(TcpChecksum.Verify(v4));
        Assert.True(TcpChecksum.Verify(v6));
    }

    [Fact]
    public void Verify_fails_after_any_bit_flip_in_the_segment_or_addresses()
    {
        byte[] packet = PacketDotNetFrame.IPv4("192.0.2.10", "198.51.100.20", Toa254V4, [1, 2, 3]).Bytes;
        int[] positions = [12, 19, 20, 36, 40, packet.Length - 1];
        foreach (int position in positions)
        {
            byte[] corrupt = (byte[])packet.Clone();
            corrupt[position] ^= 0x10;
            Assert.False(TcpChecksum.Verify(corrupt), $"flip at {position}");
        }
    }

    [Fact]
    public void TryUpdate_writes_the_checksum()
    {
        byte[] packet = HandBuiltFrame.IPv6(HandBuiltFrame.Tcp(Toa253V6, payloadLength: 9), (0, new byte[6]));
        Assert.False(TcpChecksum.Verify(packet));

        Assert.True(TcpChecksum.TryUpdate(packet));

        Assert.True(TcpChecksum.Verify(packet));
        Assert.True(PacketDotNetFrame.HasValidTcpChecksum(packet));
    }

    [Fact]
    public void Incomplete_or_non_tcp_packets_have_no_checksum()
    {
        byte[] packet = PacketDotNetFrame.IPv4("192.0.2.10", "198.51.100.20", Toa254V4, [1, 2, 3]).Bytes;
        byte[] udp = HandBuiltFrame.IPv4(new byte[28], protocol: 17);

        Assert.False(TcpChecksum.TryCompute(packet[..^1], out _));
        Assert.False(TcpChecksum.Verify(packet[..^1]));
        Assert.False(TcpChecksum.TryUpdate(udp));
        Assert.Throws<ArgumentException>(() => TcpChecksum.Compute(udp));
        Assert.False(TcpChecksum.TryCompute([], out _));
    }

    [Fact]
    public void Internet_checksum_matches_the_rfc_1071_example()
    {
        // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2, so the checksum is 220d.
        byte[] data = [0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7];

        Assert.Equal(0xDDF2, InternetChecksum.Fold(InternetChecksum.Add(0, data)));
        Assert.Equal(0x220D, InternetChecksum.Finish(InternetChecksum.Add(0, data)));
    }

    [Fact]
    public void Incremental_update_equals_recomputation()
    {
        byte[] data = [0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0];
        ushort checksum = InternetChecksum.Finish(InternetChecksum.Add(0, data));
        ulong oldSum = InternetChecksum.Add(0, data.AsSpan(2, 4));
        data[2] = 0x01;
        data[5] = 0x01;

        ushort updated = InternetChecksum.Update(checksum, oldSum, InternetChecksum.Add(0, data.AsSpan(2, 4)));

        Assert.Equal(InternetChecksum.Finish(InternetChecksum.Add(0, data)), updated);
    }
}
