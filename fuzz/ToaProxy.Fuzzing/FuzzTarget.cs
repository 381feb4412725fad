namespace ToaProxy.Fuzzing;

/// <summary>
/// A parser entry point under the fuzzer. The lower-case name is the command-line argument and the
/// folder under fuzz/corpus and fuzz/regressions.
/// </summary>
public enum FuzzTarget
{
    /// <summary>TcpFrameReader then ToaDecoder.Scan; the first byte picks link type, option table and result capacity.</summary>
    Frame,

    /// <summary>ToaOptionStripper.Strip on a raw IP packet; the first byte picks the option table.</summary>
    Strip,

    /// <summary>ProxyV2Reader.Read, then its TLV enumeration.</summary>
    ProxyV2,

    /// <summary>ProxyV1Reader.Read, then a write/read round trip of what it accepted.</summary>
    ProxyV1,

    /// <summary>HandshakeObserver.OnFrame into a small FlowTable; the first byte picks the link type, then length-prefixed frames.</summary>
    Observer,
}
