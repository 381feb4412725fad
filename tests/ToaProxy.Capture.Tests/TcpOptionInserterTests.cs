using CsCheck;
using ToaProxy.Protocol;

namespace ToaProxy.Capture.Tests;

public class TcpOptionInserterTests
{
    private static readonly byte[] Toa254V4 = [254, 8, 0x1F, 0x90, 10, 1, 2, 3];
    private static readonly byte[] Toa253V6 = [253, 20, 0x1F, 0x90, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x42];

    [Fact]
    public void Ipv4Syn_GetsOptionFirst_OldOptionsShifted_ChecksumsValid()
    {
        byte[] original = TestPackets.Ipv4(0x02, TestPackets.LinuxSynOptions, []);
        byte[] buffer = Grow(original);

        TcpOptionInsertResult result = TcpOptionInserter.Insert(buffer, original.Length, Toa254V4);

        Assert.Equal(TcpOptionInsertStatus.Inserted, result.Status);
        Assert.Equal(original.Length + 8, result.PacketLength);
        byte[] packet = buffer[..result.PacketLength];
        Assert.Equal(Toa254V4, packet[40..48]);
        Assert.Equal(TestPackets.LinuxSynOptions, packet[48..68]);
        Assert.Equal(12, packet[32] >> 4);
        Assert.Equal(packet.Length, (packet[2] << 8) | packet[3]);
        Assert.True(ReferenceChecksum.Ipv4HeaderChecksumIsValid(packet));
        Assert.True(ReferenceChecksum.TcpChecksumIsValid(packet));
        Assert.True(TcpChecksum.Verify(packet));
    }

    [Fact]
    public void Ipv6DataSegment_KeepsPayload_UpdatesPayloadLength()
    {
        byte[] payload = "hello, world"u8.ToArray();
        byte[] original = TestPackets.Ipv6(0x18, TestPackets.LinuxTimestampOptions, payload);
        byte[] buffer = Grow(original);

        TcpOptionInsertResult result = TcpOptionInserter.Insert(buffer, original.Length, Toa253V6);

        Assert.Equal(TcpOptionInsertStatus.Inserted, result.Status);
        byte[] packet = buffer[..result.PacketLength];
        ParsedTcpPacket parsed = ParsedTcpPacket.Parse(packet);
        Assert.Equal(Toa253V6, parsed.FindOption(253));
        Assert.Equal(packet[60..80], Toa253V6);
        Assert.Equal(payload, parsed.Payload);
        Assert.Equal(packet.Length - 40, (packet[4] << 8) | packet[5]);
        Assert.True(ReferenceChecksum.TcpChecksumIsValid(packet));
    }

    [Fact]
    public void OddLengthOption_IsPaddedWithNops()
    {
        byte[] original = TestPackets.Ipv4(0x10, [], []);
        byte[] buffer = Grow(original);
        byte[] cdnOption = [28, 7, 1, 10, 0, 0, 9];

        TcpOptionInsertResult result = TcpOptionInserter.Insert(buffer, original.Length, cdnOption);

        Assert.True(result.Succeeded);
        Assert.Equal(original.Length + 8, result.PacketLength);
        Assert.Equal([.. cdnOption, 1], buffer[40..48]);
        Assert.True(ReferenceChecksum.TcpChecksumIsValid(buffer[..result.PacketLength]));
    }

    [Fact]
    public void LinuxSynWith20ByteToa_FillsTheOptionSpaceExactly()
    {
        byte[] original = TestPackets.Ipv6(0x02, TestPackets.LinuxSynOptions, []);
        byte[] buffer = Grow(original);

        TcpOptionInsertResult result = TcpOptionInserter.Insert(buffer, original.Length, Toa253V6);

        Assert.Equal(TcpOptionInsertStatus.Inserted, result.Status);
        ParsedTcpPacket parsed = ParsedTcpPacket.Parse(buffer[..result.PacketLength]);
        Assert.Equal([.. Toa253V6, .. TestPackets.LinuxSynOptions], parsed.OptionBytes);
        Assert.True(ReferenceChecksum.TcpChecksumIsValid(buffer[..result.PacketLength]));
    }

    [Fact]
    public void WhenFull_DropsPaddingAndSackPermittedFirst_KeepingTimestamps()
    {
        byte[] original = TestPackets.Ipv6(0x02, [.. TestPackets.LinuxSynOptions, 1, 1, 1, 1], []);
        byte[] buffer = Grow(original);

        TcpOptionInsertResult result = TcpOptionInserter.Insert(buffer, original.Length, Toa253V6);

        Assert.Equal(TcpOptionInsertStatus.InsertedAfterPruning, result.Status);
        byte[] packet = buffer[..result.PacketLength];
        ParsedTcpPacket parsed = ParsedTcpPacket.Parse(packet);
        Assert.Equal(40, parsed.OptionBytes.Length);
        Assert.Equal(Toa253V6, parsed.FindOption(253));
        Assert.NotNull(parsed.FindOption(2));
        Assert.NotNull(parsed.FindOption(8));
        Assert.NotNull(parsed.FindOption(3));
        Assert.Null(parsed.FindOption(4));
        Assert.True(ReferenceChecksum.TcpChecksumIsValid(packet));
    }

    [Fact]
    public void WhenDroppingSackPermittedIsNotEnough_TimestampsGoToo()
    {
        // MSS(4) SACK-permitted(2) timestamps(10) NOP window-scale(3) + 12 bytes of an unknown option = 32.
        byte[] options = [2, 4, 5, 0xB4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7, 99, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        byte[] original = TestPackets.Ipv4(0x02, options, []);
        byte[] buffer = Grow(original);

        TcpOptionInsertResult result = TcpOptionInserter.Insert(buffer, original.Length, Toa253V6);

        Assert.Equal(TcpOptionInsertStatus.InsertedAfterPruning, result.Status);
        ParsedTcpPacket parsed = ParsedTcpPacket.Parse(buffer[..result.PacketLength]);
        Assert.Null(parsed.FindOption(8));
        Assert.NotNull(parsed.FindOption(99));
        Assert.True(ReferenceChecksum.TcpChecksumIsValid(buffer[..result.PacketLength]));
        Assert.True(ReferenceChecksum.Ipv4HeaderChecksumIsValid(buffer[..result.PacketLength]));
    }

    [Fact]
    public void NoRoom_WhenUnprunableOptionsFillTheSpace_PacketUntouched()
    {
        // MSS(4) + SACK blocks (kind 5, 4 blocks = 34 bytes) + NOP NOP = 40: nothing can go.
        byte[] options = [2, 4, 5, 0xB4, 5, 34, .. new byte[32], 1, 1];
        byte[] original = TestPackets.Ipv4(0x10, options, []);
        byte[] buffer = Grow(original);

        TcpOptionInsertResult result = TcpOptionInserter.Insert(buffer, original.Length, Toa254V4);

        Assert.Equal(TcpOptionInsertStatus.NoRoom, result.Status);
        Assert.Equal(original, buffer[..original.Length]);
    }

    [Fact]
    public void Failures_AreReported()
    {
        byte[] original = TestPackets.Ipv4(0x02, TestPackets.LinuxSynOptions, []);

        Assert.Equal(TcpOptionInsertStatus.BufferTooSmall, TcpOptionInserter.Insert(original.ToArray(), original.Length, Toa254V4).Status);
        Assert.Equal(TcpOptionInsertStatus.InvalidOption, TcpOptionInserter.Insert(Grow(original), original.Length, new byte[41]).Status);

        byte[] udp = Grow(original);
        udp[9] = 17;
        TcpOptionInsertResult notTcp = TcpOptionInserter.Insert(udp, original.Length, Toa254V4);
        Assert.Equal(TcpOptionInsertStatus.NotRewritable, notTcp.Status);
        Assert.Equal(FrameParseStatus.NotTcp, notTcp.ParseStatus);

        byte[] malformed = TestPackets.Ipv4(0x02, [2, 4, 5, 0xB4, 99, 50, .. new byte[34]], []);
        Assert.Equal(TcpOptionInsertStatus.MalformedOptions, TcpOptionInserter.Insert(Grow(malformed), malformed.Length, Toa253V6).Status);
    }

    [Fact]
    public void AnyPacket_KeepsPayloadAndChecksums()
    {
        Gen.Select(Gen.Bool, Gen.Byte.Array[0, 300], Gen.Int[0, 7], Gen.Byte.Array[6, 18])
            .Sample((ipv6, payload, optionWords, optionData) =>
            {
                byte[] options = [.. Enumerable.Repeat((byte)1, optionWords * 4)];
                byte[] original = ipv6 ? TestPackets.Ipv6(0x18, options, payload) : TestPackets.Ipv4(0x18, options, payload);
                byte[] option = [254, (byte)(optionData.Length + 2), .. optionData];
                byte[] buffer = Grow(original);

                TcpOptionInsertResult result = TcpOptionInserter.Insert(buffer, original.Length, option);

                Assert.True(result.Succeeded, result.ToString());
                byte[] packet = buffer[..result.PacketLength];
                ParsedTcpPacket parsed = ParsedTcpPacket.Parse(packet);
                Assert.Equal(option, parsed.FindOption(254));
                Assert.Equal(payload, parsed.Payload);
                Assert.True(ReferenceChecksum.TcpChecksumIsValid(packet));
                Assert.True(ipv6 || ReferenceChecksum.Ipv4HeaderChecksumIsValid(packet));
            });
    }

    private static byte[] Grow(byte[] packet) => [.. packet, .. new byte[40]];
}
