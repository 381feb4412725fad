using Microsoft.Extensions.Logging;
using ToaProxy.Capture.Flows;
using ToaProxy.Protocol;

namespace ToaProxy.Capture;

/// <summary>
/// The single decode path behind every capture backend: frame → TCP segment → TOA options → trust
/// check → <see cref="FlowTable"/>. Allocation-free per packet and never throws: a frame it cannot
/// use is counted and dropped.
/// </summary>
public sealed partial class HandshakeObserver : IFrameSink
{
    private const int MaxOptionsPerPacket = 8;

    private readonly FlowTable _table;
    private volatile ToaOptionTable _options;
    private volatile TrustedSourceList _trusted;
    private readonly IReadOnlyList<ushort> _ports;
    private readonly bool _stripOption;
    private readonly CaptureCounters _counters;
    private readonly ILogger _logger;
    private long _lastFaultLog;

    public HandshakeObserver(
        FlowTable table, ToaOptionTable options, TrustedSourceList trusted, IReadOnlyList<ushort> ports, bool stripOption, ILogger logger)
    {
        _table = table;
        _options = options;
        _trusted = trusted;
        _ports = ports;
        _stripOption = stripOption;
        _counters = table.Counters;
        _logger = logger;
    }

    /// <summary>A reloaded configuration's option table and trusted sources, used from the next packet on.</summary>
    public void Reconfigure(ToaOptionTable options, TrustedSourceList trusted)
    {
        _options = options;
        _trusted = trusted;
    }

    public bool OnFrame(Span<byte> frame, LinkType linkType, bool mayModify)
    {
        try
        {
            return Handle(frame, linkType, mayModify);
        }
        catch (Exception ex)
        {
            // A bug here must cost one packet, never the capture thread; log at most once a minute.
            Interlocked.Increment(ref _counters.NotParseable);
            long now = Environment.TickCount64;
            if (now - Interlocked.Read(ref _lastFaultLog) > 60_000)
            {
                Interlocked.Exchange(ref _lastFaultLog, now);
                LogFrameFault(ex, frame.Length, linkType);
            }

            return false;
        }
    }

    private bool Handle(Span<byte> frame, LinkType linkType, bool mayModify)
    {
        Interlocked.Increment(ref _counters.Frames);
        if (TcpFrameReader.TryRead(frame, linkType, out TcpSegment segment) != FrameParseStatus.Ok)
        {
            Interlocked.Increment(ref _counters.NotParseable);
            return false;
        }

        if (_ports.Count > 0 && !Contains(_ports, segment.DestinationPort))
        {
            return false;
        }

        TcpFlags flags = segment.Flags;
        if ((flags & TcpFlags.Rst) != 0)
        {
            return false;
        }

        SegmentRole role = segment.IsSyn ? SegmentRole.Syn
            : segment.PayloadLength > 0 ? SegmentRole.Data
            : (flags & TcpFlags.Fin) != 0 ? SegmentRole.Fin
            : SegmentRole.Ack;
        if (role == SegmentRole.Syn)
        {
            Interlocked.Increment(ref _counters.Syns);
        }

        // One table per packet, even if a reload swaps it meanwhile.
        ToaOptionTable options = _options;
        Span<ToaOption> found = stackalloc ToaOption[MaxOptionsPerPacket];
        ToaScanResult scan = ToaDecoder.Scan(segment.Options, options, found, segment.IsSyn);
        bool hasClient = false;
        ToaClient client = default;
        if (scan.Status == ToaScanStatus.Malformed)
        {
            // A packet with a broken TOA-kind option is not trusted for any of its options: a wrong client is worse than none.
            Interlocked.Increment(ref _counters.Malformed);
        }
        else if (scan.Count > 0)
        {
            Interlocked.Increment(ref _counters.ToaOptionsSeen);
            if (!_trusted.IsTrusted(segment.Source))
            {
                Interlocked.Increment(ref _counters.Untrusted);
            }
            else
            {
                hasClient = ToaClient.TryMerge(found[..scan.Count], out client);
            }
        }

        _table.Observe(segment.ToReceiverKey(), role, hasClient, client);

        if (mayModify && _stripOption && (scan.Count > 0 || scan.Status == ToaScanStatus.Malformed)
            && ToaOptionStripper.Strip(frame[segment.IpOffset..], options))
        {
            Interlocked.Increment(ref _counters.Stripped);
            return true;
        }

        return false;
    }

    private static bool Contains(IReadOnlyList<ushort> ports, ushort port)
    {
        for (int i = 0; i < ports.Count; i++)
        {
            if (ports[i] == port)
            {
                return true;
            }
        }

        return false;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Capture decode failed on a {Length}-byte {LinkType} frame; the frame was dropped")]
    private partial void LogFrameFault(Exception exception, int length, LinkType linkType);
}
