using ToaProxy.Capture;
using ToaProxy.Capture.Flows;
using ToaProxy.Protocol;

namespace ToaProxy.Diagnostics;

/// <summary>Counts, for the doctor's short live capture, SYNs and which packets carried TOA, trusted
/// or not, malformed or not. Called on the capture thread; read after the capture stopped.</summary>
public sealed class LiveToaTally(ToaOptionTable options, TrustedSourceList trusted, IReadOnlyList<ushort> ports) : IFrameSink
{
    private const int MaxOptionsPerPacket = 8;
    private readonly SortedDictionary<byte, int> _kinds = [];
    private readonly HashSet<string> _untrustedSources = [];
    private readonly Lock _gate = new();

    public int Syns { get; private set; }

    public int SynsWithToa { get; private set; }

    /// <summary>Handshake ACK and data packets with trusted TOA (load balancers that skip the SYN).</summary>
    public int LaterPacketsWithToa { get; private set; }

    public int Untrusted { get; private set; }

    public int Malformed { get; private set; }

    public IReadOnlyDictionary<byte, int> Kinds
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<byte, int>(_kinds);
            }
        }
    }

    public IReadOnlyCollection<string> UntrustedSources
    {
        get
        {
            lock (_gate)
            {
                return [.. _untrustedSources];
            }
        }
    }

    public bool OnFrame(Span<byte> frame, LinkType linkType, bool mayModify)
    {
        if (TcpFrameReader.TryRead(frame, linkType, out TcpSegment segment) != FrameParseStatus.Ok
            || !ports.Contains(segment.DestinationPort) || (segment.Flags & TcpFlags.Rst) != 0)
        {
            return false;
        }

        Span<ToaOption> found = stackalloc ToaOption[MaxOptionsPerPacket];
        ToaScanResult scan = ToaDecoder.Scan(segment.Options, options, found, segment.IsSyn);
        lock (_gate)
        {
            if (segment.IsSyn)
            {
                Syns++;
            }

            if (scan.Status == ToaScanStatus.Malformed)
            {
                Malformed++;
            }
            else if (scan.Count > 0 && ToaClient.TryMerge(found[..scan.Count], out ToaClient client))
            {
                if (!trusted.IsTrusted(segment.Source))
                {
                    Untrusted++;
                    _untrustedSources.Add(segment.Source.ToString());
                }
                else
                {
                    _kinds[client.Kind] = _kinds.GetValueOrDefault(client.Kind) + 1;
                    if (segment.IsSyn)
                    {
                        SynsWithToa++;
                    }
                    else
                    {
                        LaterPacketsWithToa++;
                    }
                }
            }
        }

        return false;
    }
}
