using System.Buffers.Binary;
using ToaProxy.Capture.Netlink;

namespace ToaProxy.Capture.Nfqueue;

/// <summary>One NFQNL_MSG_PACKET: the id to give a verdict for, and the packet bytes (a view).</summary>
internal readonly ref struct NfqueuePacket
{
    private NfqueuePacket(ushort queueNumber, uint packetId, ushort hardwareProtocol, byte hook, ReadOnlySpan<byte> payload, bool isTruncated)
    {
        QueueNumber = queueNumber;
        PacketId = packetId;
        HardwareProtocol = hardwareProtocol;
        Hook = hook;
        Payload = payload;
        IsTruncated = isTruncated;
    }

    /// <summary>nfgenmsg res_id.</summary>
    public ushort QueueNumber { get; }

    public uint PacketId { get; }

    /// <summary>The EtherType of the packet (0x0800 IPv4, 0x86DD IPv6).</summary>
    public ushort HardwareProtocol { get; }

    /// <summary>The netfilter hook that queued it (1 LOCAL_IN, 3 LOCAL_OUT).</summary>
    public byte Hook { get; }

    /// <summary>The IP packet, starting at the IP header.</summary>
    public ReadOnlySpan<byte> Payload { get; }

    /// <summary>NFQA_CAP_LEN was present: the packet was longer than the copy range, so the payload
    /// is only its beginning and must never be sent back as a replacement.</summary>
    public bool IsTruncated { get; }

    /// <summary>Parses a whole netlink message; false when it is not a well-formed queued packet.</summary>
    public static bool TryParse(ReadOnlySpan<byte> message, out NfqueuePacket packet)
    {
        packet = default;
        if (!NetlinkMessageHeader.TryRead(message, out NetlinkMessageHeader header)
            || header.Type != NfqueueAbi.MessagePacket
            || message.Length < NetlinkMessageHeader.Size + NetlinkMessageWriter.NfgenHeaderSize)
        {
            return false;
        }

        ushort queueNumber = BinaryPrimitives.ReadUInt16BigEndian(message[(NetlinkMessageHeader.Size + 2)..]);
        bool hasHeader = false;
        uint packetId = 0;
        ushort hardwareProtocol = 0;
        byte hook = 0;
        ReadOnlySpan<byte> payload = default;
        bool isTruncated = false;
        var attributes = new NetlinkAttributeReader(message[(NetlinkMessageHeader.Size + NetlinkMessageWriter.NfgenHeaderSize)..]);
        foreach (NetlinkAttribute attribute in attributes)
        {
            switch (attribute.Type)
            {
                case NfqueueAbi.AttributePacketHeader when attribute.Payload.Length >= NfqueueAbi.PacketHeaderSize:
                    hasHeader = true;
                    packetId = BinaryPrimitives.ReadUInt32BigEndian(attribute.Payload);
                    hardwareProtocol = BinaryPrimitives.ReadUInt16BigEndian(attribute.Payload[4..]);
                    hook = attribute.Payload[6];
                    break;
                case NfqueueAbi.AttributePayload:
                    payload = attribute.Payload;
                    break;
                case NfqueueAbi.AttributeCapturedLength:
                    isTruncated = true;
                    break;
            }
        }

        if (!hasHeader)
        {
            return false;
        }

        packet = new NfqueuePacket(queueNumber, packetId, hardwareProtocol, hook, payload, isTruncated);
        return true;
    }
}
