using System.Buffers.Binary;
using ToaProxy.Capture.Netlink;

namespace ToaProxy.Capture.Nfqueue;

/// <summary>Builds NFQNL_MSG_CONFIG requests, always with NLM_F_ACK so a refusal (EBUSY: another
/// process owns the queue; EPERM: not root) comes back as an error to report.</summary>
internal static class NfqueueConfigRequest
{
    /// <summary>One message: bind the queue, copy whole packets (up to 64 KiB), set the queue length and fail-open flag.</summary>
    public static Span<byte> WriteBind(Span<byte> buffer, uint sequence, ushort queueNumber, uint maxQueueLength, bool failOpen)
    {
        var writer = new NetlinkMessageWriter(buffer, NfqueueAbi.MessageConfig, NetlinkMessageHeader.FlagRequest | NetlinkMessageHeader.FlagAck, sequence);
        writer.WriteNfgenHeader(NfqueueAbi.FamilyUnspecified, queueNumber);
        writer.AddAttribute(NfqueueAbi.ConfigCommand, [NfqueueAbi.CommandBind, 0, 0, 0]);

        // struct nfqnl_msg_config_params (packed): be32 copy_range, u8 copy_mode.
        Span<byte> parameters = stackalloc byte[5];
        BinaryPrimitives.WriteUInt32BigEndian(parameters, NfqueueAbi.MaxCopyRange);
        parameters[4] = NfqueueAbi.CopyPacket;
        writer.AddAttribute(NfqueueAbi.ConfigParameters, parameters);

        writer.AddUInt32BigEndian(NfqueueAbi.ConfigQueueMaxLength, maxQueueLength);
        writer.AddUInt32BigEndian(NfqueueAbi.ConfigFlags, failOpen ? NfqueueAbi.FlagFailOpen : 0);
        writer.AddUInt32BigEndian(NfqueueAbi.ConfigMask, NfqueueAbi.FlagFailOpen);
        return writer.Finish();
    }

    public static Span<byte> WriteUnbind(Span<byte> buffer, uint sequence, ushort queueNumber)
    {
        var writer = new NetlinkMessageWriter(buffer, NfqueueAbi.MessageConfig, NetlinkMessageHeader.FlagRequest | NetlinkMessageHeader.FlagAck, sequence);
        writer.WriteNfgenHeader(NfqueueAbi.FamilyUnspecified, queueNumber);
        writer.AddAttribute(NfqueueAbi.ConfigCommand, [NfqueueAbi.CommandUnbind, 0, 0, 0]);
        return writer.Finish();
    }
}
