namespace ToaProxy.Protocol;

/// <summary>
/// The facts about one captured TCP segment that the capture stage needs, as views into the frame.
/// A ref struct so that parsing a packet allocates nothing.
/// </summary>
public readonly ref struct TcpSegment
{
    public TcpSegment(
        int ipVersion, NetAddress source, NetAddress destination, ushort sourcePort, ushort destinationPort,
        TcpFlags flags, uint sequence, uint acknowledgment, int payloadLength, ReadOnlySpan<byte> options,
        int ipOffset, int tcpOffset)
    {
        IpVersion = ipVersion;
        Source = source;
        Destination = destination;
        SourcePort = sourcePort;
        DestinationPort = destinationPort;
        Flags = flags;
        Sequence = sequence;
        Acknowledgment = acknowledgment;
        PayloadLength = payloadLength;
        Options = options;
        IpOffset = ipOffset;
        TcpOffset = tcpOffset;
    }

    /// <summary>4 or 6.</summary>
    public int IpVersion { get; }

    public NetAddress Source { get; }

    public NetAddress Destination { get; }

    public ushort SourcePort { get; }

    public ushort DestinationPort { get; }

    public TcpFlags Flags { get; }

    public uint Sequence { get; }

    public uint Acknowledgment { get; }

    /// <summary>TCP payload bytes, from the IP length fields (not the captured length, which a snaplen may cut).</summary>
    public int PayloadLength { get; }

    /// <summary>The TCP options area (data offset × 4 − 20 bytes); empty when there are none.</summary>
    public ReadOnlySpan<byte> Options { get; }

    /// <summary>Offset of the IP header within the frame (for rewriting, e.g. NOP-stripping TOA).</summary>
    public int IpOffset { get; }

    /// <summary>Offset of the TCP header within the frame.</summary>
    public int TcpOffset { get; }

    /// <summary>The connection key as the receiving host sees it: peer = source, local = destination.</summary>
    public FlowKey ToReceiverKey() => new(Source, SourcePort, Destination, DestinationPort);

    public bool IsSyn => (Flags & (TcpFlags.Syn | TcpFlags.Ack)) == TcpFlags.Syn;
}
