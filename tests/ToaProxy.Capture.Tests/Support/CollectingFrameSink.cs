using System.Collections.Concurrent;
using ToaProxy.Protocol;

namespace ToaProxy.Capture.Tests.Support;

/// <summary>Keeps a copy of every frame a backend delivers, optionally taking its time over each.</summary>
public sealed class CollectingFrameSink(TimeSpan perFrameDelay = default) : IFrameSink
{
    private readonly ConcurrentQueue<(byte[] Frame, LinkType LinkType)> _frames = new();

    public bool OnFrame(Span<byte> frame, LinkType linkType, bool mayModify)
    {
        if (perFrameDelay > TimeSpan.Zero)
        {
            Thread.Sleep(perFrameDelay);
        }

        _frames.Enqueue((frame.ToArray(), linkType));
        return false;
    }

    /// <summary>The distinct link types delivered so far.</summary>
    public IReadOnlyList<LinkType> LinkTypes => _frames.Select(f => f.LinkType).Distinct().ToList();

    /// <summary>The TCP segments delivered so far whose destination port is <paramref name="port"/>.</summary>
    public IReadOnlyList<ParsedTcp> SegmentsTo(ushort port) => _frames
        .Select(f => TestFrameParser.Parse(f.Frame, f.LinkType))
        .Where(s => s is { } segment && segment.DestinationPort == port)
        .Select(s => s!.Value)
        .ToList();
}
