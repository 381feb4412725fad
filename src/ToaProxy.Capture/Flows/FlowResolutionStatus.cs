namespace ToaProxy.Capture.Flows;

public enum FlowResolutionStatus : byte
{
    /// <summary>A trusted TOA was recorded for this connection.</summary>
    Found,
    /// <summary>The capture saw this connection's handshake and it carried no (trusted, well-formed) TOA.</summary>
    NoToa,
    /// <summary>The capture saw nothing for this connection (capture down, behind beyond the wait, or filtered).</summary>
    Unknown,
}
