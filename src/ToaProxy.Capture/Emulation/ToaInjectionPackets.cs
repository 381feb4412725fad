namespace ToaProxy.Capture.Emulation;

/// <summary>Which client-to-server packets get the option (load balancers differ; see toa-formats.md).</summary>
[Flags]
public enum ToaInjectionPackets
{
    /// <summary>The SYN (original LVS, Alibaba CDN readers).</summary>
    Syn = 1,

    /// <summary>The handshake ACK and the first data packet (DPVS since 2023, JD Jupiter).</summary>
    HandshakeAckAndFirstData = 2,

    /// <summary>SYN, handshake ACK and first data (Alibaba LVS default).</summary>
    All = Syn | HandshakeAckAndFirstData,
}
