using ToaProxy.Protocol;

namespace ToaProxy.Capture;

/// <summary>
/// What a backend must capture: TCP to these local ports (IPv4 and IPv6) that is a SYN, or whose TCP
/// data offset is neither 5 (no options) nor 8 (the usual NOP,NOP,timestamps) — i.e. the packets that
/// can carry TOA, never bulk data. Empty <see cref="Ports"/> means every port.
/// </summary>
public sealed record CaptureFilter(IReadOnlyList<ushort> Ports)
{
    public bool Matches(in TcpSegment segment)
    {
        if (Ports.Count > 0 && !Ports.Contains(segment.DestinationPort))
        {
            return false;
        }

        int dataOffsetWords = 5 + (segment.Options.Length / 4);
        return segment.IsSyn || (dataOffsetWords != 5 && dataOffsetWords != 8);
    }
}
