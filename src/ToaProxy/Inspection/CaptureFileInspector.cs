using ToaProxy.Capture;
using ToaProxy.Capture.Flows;
using ToaProxy.Capture.Pcap;
using ToaProxy.Protocol;

namespace ToaProxy.Inspection;

/// <summary>
/// Reads a .pcap/.pcapng file offline and reports every TCP connection in it with its TOA, or why it
/// has none — what the seed's users did by eye with "unknown-200"/"unknown-253" in tcpdump output.
/// Decodes with the same <see cref="ToaDecoder"/>, option table and trust list as the running proxy.
/// </summary>
public sealed class CaptureFileInspector(ToaOptionTable options, TrustedSourceList trusted, ushort? port)
{
    private const int MaxOptionsPerPacket = 8;
    private const byte FastOpenKind = 34;

    /// <summary>Frames that were not TCP over IPv4/IPv6 (ARP, UDP, fragments, truncated).</summary>
    public int SkippedFrames { get; private set; }

    public int Frames { get; private set; }

    /// <summary>Every connection in order of its first packet.</summary>
    public IReadOnlyList<InspectedFlow> Inspect(string path)
    {
        using var reader = new PcapFileReader(path);
        var flows = new List<InspectedFlow>();
        var open = new Dictionary<FlowKey, InspectedFlow>();
        foreach (CapturedFrame frame in reader.ReadFrames())
        {
            Frames++;
            if (TcpFrameReader.TryRead(frame.Data, frame.LinkType, out TcpSegment segment) != FrameParseStatus.Ok)
            {
                SkippedFrames++;
                continue;
            }

            Observe(segment, frame.Timestamp, flows, open);
        }

        return flows;
    }

    private void Observe(TcpSegment segment, DateTimeOffset time, List<InspectedFlow> flows, Dictionary<FlowKey, InspectedFlow> open)
    {
        var forward = new FlowKey(segment.Source, segment.SourcePort, segment.Destination, segment.DestinationPort);
        var reverse = new FlowKey(segment.Destination, segment.DestinationPort, segment.Source, segment.SourcePort);
        if (open.ContainsKey(reverse))
        {
            // Server to client: load balancers never put TOA there.
            return;
        }

        if (!open.TryGetValue(forward, out InspectedFlow? flow) || IsNewConnectionOnSameTuple(flow, segment))
        {
            if (!IsClientToServer(segment))
            {
                // Seen from the server's side first (capture started mid-connection): open it the other way round.
                if (Selected(reverse))
                {
                    var reversed = new InspectedFlow(reverse, time);
                    open[reverse] = reversed;
                    flows.Add(reversed);
                }

                return;
            }

            if (!Selected(forward))
            {
                return;
            }

            flow = new InspectedFlow(forward, time);
            open[forward] = flow;
            flows.Add(flow);
        }

        if ((segment.Flags & TcpFlags.Rst) != 0)
        {
            return;
        }

        SegmentRole role = segment.IsSyn ? SegmentRole.Syn
            : segment.PayloadLength > 0 ? SegmentRole.Data
            : (segment.Flags & TcpFlags.Fin) != 0 ? SegmentRole.Fin
            : SegmentRole.Ack;
        flow.NotePacket(role, segment.Sequence);

        Span<ToaOption> found = stackalloc ToaOption[MaxOptionsPerPacket];
        ToaScanResult scan = ToaDecoder.Scan(segment.Options, options, found, segment.IsSyn);
        if (scan.Status == ToaScanStatus.Malformed)
        {
            flow.NoteMalformed(scan.FaultKind, scan.FaultLength);
        }
        else if (scan.Count > 0 && ToaClient.TryMerge(found[..scan.Count], out ToaClient client))
        {
            flow.NoteToa(client, role, trusted.IsTrusted(segment.Source), segment.Source);
        }

        // A client sends a TFO cookie only on its SYN; elsewhere F9 89 is a TOA port (see ToaDecoder).
        if (segment.IsSyn)
        {
            foreach (TcpOption option in new TcpOptionReader(segment.Options))
            {
                if (option.Kind == FastOpenKind || TcpFastOpenCookie.Is(option))
                {
                    flow.NoteFastOpenCookie();
                }
            }
        }
    }

    /// <summary>A SYN with another initial sequence number on a known 4-tuple: the port was reused.</summary>
    private static bool IsNewConnectionOnSameTuple(InspectedFlow flow, TcpSegment segment) =>
        segment.IsSyn && flow.SawSyn && flow.SynSequence != segment.Sequence;

    /// <summary>
    /// Whether a packet of a connection not seen before goes client to server. With --port the server
    /// is the side on that port; otherwise a SYN goes to the server and a SYN-ACK comes from it; and
    /// for a connection caught mid-way the lower port is taken as the server's (clients use ephemeral ports).
    /// </summary>
    private bool IsClientToServer(TcpSegment segment)
    {
        if (port is ushort serverPort && (segment.DestinationPort == serverPort) != (segment.SourcePort == serverPort))
        {
            return segment.DestinationPort == serverPort;
        }

        const TcpFlags synAck = TcpFlags.Syn | TcpFlags.Ack;
        if ((segment.Flags & synAck) == TcpFlags.Syn)
        {
            return true;
        }

        if ((segment.Flags & synAck) == synAck)
        {
            return false;
        }

        return segment.DestinationPort <= segment.SourcePort;
    }

    private bool Selected(FlowKey clientToServer) => port is not ushort serverPort || clientToServer.LocalPort == serverPort;
}
