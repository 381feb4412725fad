namespace ToaProxy.Capture.Flows;

/// <summary>Where in a connection a captured client-to-server segment sits; TOA vendors differ in which they use.</summary>
public enum SegmentRole : byte
{
    /// <summary>SYN without ACK: starts a connection attempt.</summary>
    Syn,
    /// <summary>An ACK without payload: the handshake's third packet (or a later pure ACK).</summary>
    Ack,
    /// <summary>A segment carrying payload (possibly with FIN).</summary>
    Data,
    /// <summary>A FIN without payload.</summary>
    Fin,
}
