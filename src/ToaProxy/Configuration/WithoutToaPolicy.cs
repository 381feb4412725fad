namespace ToaProxy.Configuration;

/// <summary>What a listener does with a connection whose real client is not known from TOA.</summary>
public enum WithoutToaPolicy
{
    /// <summary>The TCP peer is the real client (clients that reach the backend directly, not through the load balancer).</summary>
    Peer,
    /// <summary>Send a PROXY v2 LOCAL header (v1: "PROXY UNKNOWN"): the backend uses the connection's own addresses.</summary>
    Local,
    /// <summary>Close the connection.</summary>
    Reject,
}
