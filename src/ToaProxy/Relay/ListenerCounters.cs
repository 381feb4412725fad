namespace ToaProxy.Relay;

/// <summary>Per-listener counters; updated with Interlocked, read by the admin API.</summary>
public sealed class ListenerCounters
{
    public long Accepted;
    public long Active;
    public long RefusedMaxConnections;
    public long AcceptFailures;
    public long WithToa;
    public long WithoutToaPeer;
    public long WithoutToaLocal;
    public long RejectedWithoutToa;
    public long UpstreamConnectFailures;
    public long TransparentFamilyFallback;
    public long TransparentEphemeralPort;
    public long IdleTimeouts;
    public long ClientResets;
    public long UpstreamResets;
    public long BytesFromClient;
    public long BytesFromUpstream;

    public IReadOnlyList<KeyValuePair<string, long>> Snapshot() =>
    [
        new("accepted", Interlocked.Read(ref Accepted)),
        new("active", Interlocked.Read(ref Active)),
        new("refused_max_connections", Interlocked.Read(ref RefusedMaxConnections)),
        new("accept_failures", Interlocked.Read(ref AcceptFailures)),
        new("with_toa", Interlocked.Read(ref WithToa)),
        new("without_toa_peer", Interlocked.Read(ref WithoutToaPeer)),
        new("without_toa_local", Interlocked.Read(ref WithoutToaLocal)),
        new("rejected_without_toa", Interlocked.Read(ref RejectedWithoutToa)),
        new("upstream_connect_failures", Interlocked.Read(ref UpstreamConnectFailures)),
        new("transparent_family_fallback", Interlocked.Read(ref TransparentFamilyFallback)),
        new("transparent_ephemeral_port", Interlocked.Read(ref TransparentEphemeralPort)),
        new("idle_timeouts", Interlocked.Read(ref IdleTimeouts)),
        new("client_resets", Interlocked.Read(ref ClientResets)),
        new("upstream_resets", Interlocked.Read(ref UpstreamResets)),
        new("bytes_from_client", Interlocked.Read(ref BytesFromClient)),
        new("bytes_from_upstream", Interlocked.Read(ref BytesFromUpstream)),
    ];
}
