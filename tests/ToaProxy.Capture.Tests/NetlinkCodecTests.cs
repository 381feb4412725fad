using ToaProxy.Capture.Netlink;
using ToaProxy.Capture.Nfqueue;

namespace ToaProxy.Capture.Tests;

/// <summary>Encode/decode of nfnetlink_queue messages against hand-made bytes (x86-64/arm64: host order is little-endian).</summary>
public class NetlinkCodecTests
{
    [Fact]
    public void BindRequest_MatchesHandMadeBytes()
    {
        byte[] expected =
        [
            64, 0, 0, 0, 0x02, 0x03, 0x05, 0x00, 7, 0, 0, 0, 0, 0, 0, 0, // nlmsghdr: CONFIG, REQUEST|ACK, seq 7
            0, 0, 0x00, 0x05,                                             // nfgenmsg: AF_UNSPEC, v0, queue 5 big-endian
            8, 0, 1, 0, 1, 0, 0, 0,                                       // NFQA_CFG_CMD: BIND
            9, 0, 2, 0, 0, 0, 0xFF, 0xFF, 2, 0, 0, 0,                     // NFQA_CFG_PARAMS: range 65535, COPY_PACKET, 3 pad bytes
            8, 0, 3, 0, 0, 0, 0x10, 0,                                    // NFQA_CFG_QUEUE_MAXLEN 4096
            8, 0, 5, 0, 0, 0, 0, 1,                                       // NFQA_CFG_FLAGS FAIL_OPEN
            8, 0, 4, 0, 0, 0, 0, 1,                                       // NFQA_CFG_MASK FAIL_OPEN
        ];
        byte[] buffer = new byte[128];

        Span<byte> message = NfqueueConfigRequest.WriteBind(buffer, 7, 5, 4096, failOpen: true);

        Assert.Equal(expected, message.ToArray());
    }

    [Fact]
    public void UnbindRequest_MatchesHandMadeBytes()
    {
        byte[] expected = [28, 0, 0, 0, 0x02, 0x03, 0x05, 0x00, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00, 8, 0, 1, 0, 2, 0, 0, 0];

        Assert.Equal(expected, NfqueueConfigRequest.WriteUnbind(new byte[64], 9, 256).ToArray());
    }

    [Fact]
    public void Verdict_WithAndWithoutReplacementPacket()
    {
        var verdict = new NfqueueVerdictBuffer();

        byte[] accept = verdict.Build(3, 0x01020304, NfqueueAbi.VerdictAccept, -1).ToArray();
        Assert.Equal(
            [32, 0, 0, 0, 0x01, 0x03, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 12, 0, 2, 0, 0, 0, 0, 1, 1, 2, 3, 4],
            accept);

        "\u0045ABCD"u8.CopyTo(verdict.PacketArea);
        byte[] replace = verdict.Build(3, 0x01020304, NfqueueAbi.VerdictAccept, 5).ToArray();
        Assert.Equal(
            [44, 0, 0, 0, 0x01, 0x03, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 12, 0, 2, 0, 0, 0, 0, 1, 1, 2, 3, 4,
             9, 0, 10, 0, 0x45, (byte)'A', (byte)'B', (byte)'C', (byte)'D', 0, 0, 0],
            replace);
    }

    [Fact]
    public void Packet_ParsesHeaderPayloadAndSkipsOtherAttributes()
    {
        byte[] message = PacketMessage(includeCapturedLength: false);

        Assert.True(NfqueuePacket.TryParse(message, out NfqueuePacket packet));
        Assert.Equal(7, packet.QueueNumber);
        Assert.Equal(42u, packet.PacketId);
        Assert.Equal(0x0800, packet.HardwareProtocol);
        Assert.Equal(1, packet.Hook);
        Assert.Equal(Payload, packet.Payload.ToArray());
        Assert.False(packet.IsTruncated);

        Assert.True(NfqueuePacket.TryParse(PacketMessage(includeCapturedLength: true), out NfqueuePacket truncated));
        Assert.True(truncated.IsTruncated);
    }

    [Fact]
    public void NestedAttribute_IsFlaggedAndReadable()
    {
        byte[] message = PacketMessage(includeCapturedLength: false);
        var attributes = new NetlinkAttributeReader(message.AsSpan(20));
        var seen = new List<(ushort Type, bool Nested)>();
        uint innerValue = 0;
        while (attributes.MoveNext())
        {
            seen.Add((attributes.Current.Type, attributes.Current.IsNested));
            if (attributes.Current.IsNested)
            {
                var inner = new NetlinkAttributeReader(attributes.Current.Payload);
                Assert.True(inner.MoveNext());
                Assert.Equal(1, inner.Current.Type);
                innerValue = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(inner.Current.Payload);
            }
        }

        Assert.False(attributes.IsMalformed);
        Assert.Equal([(1, false), (11, true), (5, false), (10, false)], seen);
        Assert.Equal(0xCAFEu, innerValue);
    }

    [Fact]
    public void MalformedAttributeLength_StopsTheWalk()
    {
        var attributes = new NetlinkAttributeReader([8, 0, 1, 0, 0, 0, 0, 1, 3, 0, 2, 0]);

        Assert.True(attributes.MoveNext());
        Assert.False(attributes.MoveNext());
        Assert.True(attributes.IsMalformed);
    }

    [Fact]
    public void ErrorReply_And_TwoMessagesInOneDatagram()
    {
        byte[] error = [36, 0, 0, 0, 2, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0xF0, 0xFF, 0xFF, 0xFF, 64, 0, 0, 0, 0x02, 0x03, 0x05, 0, 7, 0, 0, 0, 0, 0, 0, 0];
        byte[] datagram = [.. PacketMessage(includeCapturedLength: false), .. error];

        var messages = new NetlinkMessageReader(datagram);
        Assert.True(messages.MoveNext());
        Assert.True(NfqueuePacket.TryParse(messages.Current, out _));
        Assert.True(messages.MoveNext());
        Assert.True(NetlinkError.TryRead(messages.CurrentHeader, messages.Current, out NetlinkError reply));
        Assert.Equal(16, reply.ErrorNumber); // -EBUSY
        Assert.Equal(7u, reply.RequestSequence);
        Assert.False(reply.IsAcknowledgment);
        Assert.False(messages.MoveNext());
        Assert.False(messages.IsMalformed);
    }

    private static readonly byte[] Payload = [0x45, 0, 0, 21, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17];

    private static byte[] PacketMessage(bool includeCapturedLength)
    {
        byte[] body =
        [
            2, 0, 0, 7,                                            // nfgenmsg: AF_INET, v0, queue 7
            11, 0, 1, 0, 0, 0, 0, 42, 0x08, 0x00, 1, 0,            // NFQA_PACKET_HDR (7 bytes + 1 pad): id 42, IPv4, LOCAL_IN
            12, 0, 11, 0x80, 8, 0, 1, 0, 0, 0, 0xCA, 0xFE,         // NFQA_CT, nested: one inner attribute
            8, 0, 5, 0, 0, 0, 0, 1,                                // NFQA_IFINDEX_INDEV
            (byte)(4 + Payload.Length), 0, 10, 0, .. Payload, 0, 0, 0, // NFQA_PAYLOAD (21 bytes + 3 pad)
            .. (includeCapturedLength ? (byte[])[8, 0, 13, 0, 0, 0, 0x10, 0] : []),
        ];
        int length = 16 + body.Length;
        return [(byte)length, (byte)(length >> 8), 0, 0, 0x00, 0x03, 0, 0, 0, 0, 0, 0, 0x39, 0x30, 0, 0, .. body];
    }
}
