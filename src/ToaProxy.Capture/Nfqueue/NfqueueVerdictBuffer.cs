using System.Buffers.Binary;
using ToaProxy.Capture.Netlink;

namespace ToaProxy.Capture.Nfqueue;

/// <summary>
/// A reusable NFQNL_MSG_VERDICT message whose packet area sits exactly where the NFQA_PAYLOAD
/// attribute's data goes: a handler rewrites the packet there and the verdict is sent without a copy.
/// </summary>
internal sealed class NfqueueVerdictBuffer
{
    /// <summary>nlmsghdr + nfgenmsg + verdict attribute + payload attribute header.</summary>
    private const int PacketAreaOffset = NetlinkMessageHeader.Size + NetlinkMessageWriter.NfgenHeaderSize
        + NetlinkMessageWriter.AttributeHeaderSize + NfqueueAbi.VerdictHeaderSize + NetlinkMessageWriter.AttributeHeaderSize;

    /// <summary>A packet may be copied in at up to 64 KiB; room for the attribute's alignment padding.</summary>
    private const int PacketAreaSize = (int)NfqueueAbi.MaxCopyRange + 4;

    private readonly byte[] _buffer = new byte[PacketAreaOffset + PacketAreaSize];

    /// <summary>Where a packet to rewrite goes; a rewritten packet longer than 65535 bytes is refused by the kernel.</summary>
    public Span<byte> PacketArea => _buffer.AsSpan(PacketAreaOffset, (int)NfqueueAbi.MaxCopyRange);

    /// <summary>Builds the verdict; with <paramref name="rewrittenLength"/> ≥ 0 it carries PacketArea[..rewrittenLength] as the new packet.</summary>
    public ReadOnlySpan<byte> Build(ushort queueNumber, uint packetId, uint verdict, int rewrittenLength)
    {
        var writer = new NetlinkMessageWriter(_buffer, NfqueueAbi.MessageVerdict, NetlinkMessageHeader.FlagRequest, 0);
        writer.WriteNfgenHeader(NfqueueAbi.FamilyUnspecified, queueNumber);
        Span<byte> header = stackalloc byte[NfqueueAbi.VerdictHeaderSize];
        BinaryPrimitives.WriteUInt32BigEndian(header, verdict);
        BinaryPrimitives.WriteUInt32BigEndian(header[4..], packetId);
        writer.AddAttribute(NfqueueAbi.AttributeVerdictHeader, header);
        if (rewrittenLength >= 0)
        {
            writer.AddAttributeInPlace(NfqueueAbi.AttributePayload, rewrittenLength);
        }

        return writer.Finish();
    }
}
