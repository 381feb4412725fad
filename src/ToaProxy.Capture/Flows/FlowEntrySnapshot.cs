using ToaProxy.Protocol;

namespace ToaProxy.Capture.Flows;

/// <summary>One row of the live flow table, for the admin API (the /proc/net/toa_table counterpart).</summary>
public readonly record struct FlowEntrySnapshot(
    FlowKey Key, FlowState State, bool HasClient, ToaClient Client, SegmentRole SeenOn, TimeSpan Age);
