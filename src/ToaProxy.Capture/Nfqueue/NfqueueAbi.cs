namespace ToaProxy.Capture.Nfqueue;

/// <summary>The kernel ABI of nfnetlink_queue (linux/netfilter/nfnetlink.h, nfnetlink_queue.h, netfilter.h).</summary>
internal static class NfqueueAbi
{
    /// <summary>NFNL_SUBSYS_QUEUE: the high byte of the nlmsg_type of every queue message.</summary>
    private const int SubsystemQueue = 3;

    public const ushort MessagePacket = (SubsystemQueue << 8) | 0;
    public const ushort MessageVerdict = (SubsystemQueue << 8) | 1;
    public const ushort MessageConfig = (SubsystemQueue << 8) | 2;

    /// <summary>AF_UNSPEC in nfgenmsg: queue commands are not per protocol family on kernels ≥ 3.8.</summary>
    public const byte FamilyUnspecified = 0;

    // enum nfqnl_attr_type
    public const ushort AttributePacketHeader = 1;
    public const ushort AttributeVerdictHeader = 2;
    public const ushort AttributePayload = 10;
    public const ushort AttributeCapturedLength = 13;

    // enum nfqnl_attr_config
    public const ushort ConfigCommand = 1;
    public const ushort ConfigParameters = 2;
    public const ushort ConfigQueueMaxLength = 3;
    public const ushort ConfigMask = 4;
    public const ushort ConfigFlags = 5;

    // enum nfqnl_msg_config_cmds
    public const byte CommandBind = 1;
    public const byte CommandUnbind = 2;

    /// <summary>NFQNL_COPY_PACKET.</summary>
    public const byte CopyPacket = 2;

    /// <summary>NFQNL_MAX_COPY_RANGE: the kernel clamps larger copy ranges to this.</summary>
    public const uint MaxCopyRange = 0xFFFF;

    /// <summary>NFQA_CFG_F_FAIL_OPEN: accept instead of drop when the queue or socket is full.</summary>
    public const uint FlagFailOpen = 1;

    public const uint VerdictAccept = 1;

    /// <summary>struct nfqnl_msg_packet_hdr (packed): be32 packet_id, be16 hw_protocol, u8 hook.</summary>
    public const int PacketHeaderSize = 7;

    /// <summary>struct nfqnl_msg_verdict_hdr: be32 verdict, be32 id.</summary>
    public const int VerdictHeaderSize = 8;
}
