namespace ToaProxy.Diagnostics;

/// <summary>What an upstream did with one probe connection.</summary>
public enum UpstreamProbeOutcome
{
    /// <summary>It sent something back (the first line is kept).</summary>
    Answered,
    /// <summary>It closed the connection without a byte.</summary>
    Closed,
    /// <summary>It reset the connection.</summary>
    Reset,
    /// <summary>Nothing within the wait: not an error, but nothing learned either.</summary>
    Silent,
}
