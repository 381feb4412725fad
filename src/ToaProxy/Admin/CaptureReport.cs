namespace ToaProxy.Admin;

/// <summary>The capture part of /stats: the flow-table counters (toa_stats names mapped in CaptureCounters)
/// and the backend's own statistics (null when no backend runs); Restarts counts successful capture restarts.</summary>
public sealed record CaptureReport(
    string Backend,
    bool Running,
    string? Fault,
    int Flows,
    Dictionary<string, long> Counters,
    Dictionary<string, long>? BackendStatistics,
    long Restarts = 0);
