using ToaProxy.Capture.Flows;
using ToaProxy.Protocol;

namespace ToaProxy.Inspection;

/// <summary>
/// One TCP connection found in a capture file, oriented as the server sees it (client = TCP peer,
/// server = the side that was connected to), with what its client-to-server packets said about TOA.
/// </summary>
public sealed class InspectedFlow(FlowKey key, DateTimeOffset firstSeen)
{
    private readonly SortedSet<SegmentRole> _seenOn = [];
    private bool _trusted;
    private bool _untrusted;
    private bool _malformed;
    private bool _fastOpenCookie;

    /// <summary>Peer = the TCP client (the load balancer's SNAT address behind a cloud LB), Local = the server.</summary>
    public FlowKey Key { get; } = key;

    public DateTimeOffset FirstSeen { get; } = firstSeen;

    /// <summary>Client-to-server packets seen.</summary>
    public int Packets { get; private set; }

    public bool SawSyn { get; private set; }

    public uint SynSequence { get; private set; }

    /// <summary>The first trusted TOA (or, when none was trusted, the first untrusted claim).</summary>
    public ToaClient? Toa { get; private set; }

    /// <summary>Packet roles on which the reported <see cref="Toa"/> kind was seen.</summary>
    public IReadOnlyCollection<SegmentRole> SeenOn => _seenOn;

    public NetAddress UntrustedSource { get; private set; }

    public byte FaultKind { get; private set; }

    public byte FaultLength { get; private set; }

    public FlowToaStatus Status =>
        _trusted ? FlowToaStatus.Toa
        : _untrusted ? FlowToaStatus.Untrusted
        : _malformed ? FlowToaStatus.Malformed
        : _fastOpenCookie ? FlowToaStatus.FastOpenCookie
        : FlowToaStatus.NoOption;

    /// <summary>The reason column: "ok", "untrusted source X", "malformed (kind K length L)", "TFO cookie", "no option".</summary>
    public string Reason => Status switch
    {
        FlowToaStatus.Toa => "ok",
        FlowToaStatus.Untrusted => $"untrusted source {UntrustedSource}",
        FlowToaStatus.Malformed => $"malformed (kind {FaultKind} length {FaultLength})",
        FlowToaStatus.FastOpenCookie => "TFO cookie",
        _ => "no option",
    };

    public void NotePacket(SegmentRole role, uint sequence)
    {
        Packets++;
        if (role == SegmentRole.Syn && !SawSyn)
        {
            SawSyn = true;
            SynSequence = sequence;
        }
    }

    public void NoteToa(in ToaClient client, SegmentRole role, bool trusted, NetAddress source)
    {
        if (trusted && !_trusted)
        {
            // A trusted option outranks an untrusted claim seen earlier.
            _trusted = true;
            Toa = client;
            _seenOn.Clear();
        }
        else if (!trusted && !_trusted && !_untrusted)
        {
            _untrusted = true;
            UntrustedSource = source;
            Toa = client;
        }

        if (Toa is ToaClient reported && reported.Kind == client.Kind && trusted == _trusted)
        {
            _seenOn.Add(role);
        }
    }

    public void NoteMalformed(byte kind, byte length)
    {
        if (!_malformed)
        {
            _malformed = true;
            FaultKind = kind;
            FaultLength = length;
        }
    }

    public void NoteFastOpenCookie() => _fastOpenCookie = true;
}
