namespace ToaProxy.Capture.Flows;

/// <summary>
/// Every counter of the capture stage and the flow table, the userspace counterpart of toa.ko's
/// /proc/net/toa_stats. Mapping from the kernel module's names:
/// <list type="bullet">
/// <item><c>syn_recv_sock_toa</c> → <see cref="ToaRecorded"/> (a connection's handshake carried a trusted TOA)</item>
/// <item><c>syn_recv_sock_no_toa</c> → <see cref="ResolvedNoToa"/> (an accepted connection's handshake carried none)</item>
/// <item><c>getname_toa_ok</c> → <see cref="ResolvedFound"/> (the relay got the real client)</item>
/// <item><c>getname_toa_mismatch</c> → <see cref="Malformed"/> (an option of a TOA kind that did not decode)</item>
/// <item><c>getname_toa_empty</c> → <see cref="ResolvedUnknown"/> (nothing known about the connection)</item>
/// <item><c>getname_toa_bypass</c> → no equivalent (the proxy has no non-TOA socket path)</item>
/// <item><c>ip6_address_alloc</c> / <c>ip6_address_free</c> → <see cref="Ipv6ClientsStored"/> / <see cref="Ipv6ClientsReleased"/></item>
/// </list>
/// Fields are updated with Interlocked or under the table's lock; readers may see a slightly stale value.
/// </summary>
public sealed class CaptureCounters
{
    public long Frames;
    public long NotParseable;
    public long Syns;
    public long ToaOptionsSeen;
    public long ToaRecorded;
    public long Untrusted;
    public long Malformed;
    public long Conflicts;
    public long Replaced;
    public long Expired;
    public long Evicted;
    public long Stripped;
    public long ResolvedFound;
    public long ResolvedNoToa;
    public long ResolvedUnknown;
    public long Ipv6ClientsStored;
    public long Ipv6ClientsReleased;

    public IReadOnlyList<KeyValuePair<string, long>> Snapshot() =>
    [
        new("frames", Interlocked.Read(ref Frames)),
        new("not_parseable", Interlocked.Read(ref NotParseable)),
        new("syns", Interlocked.Read(ref Syns)),
        new("toa_options_seen", Interlocked.Read(ref ToaOptionsSeen)),
        new("toa_recorded", Interlocked.Read(ref ToaRecorded)),
        new("untrusted", Interlocked.Read(ref Untrusted)),
        new("malformed", Interlocked.Read(ref Malformed)),
        new("conflicts", Interlocked.Read(ref Conflicts)),
        new("replaced", Interlocked.Read(ref Replaced)),
        new("expired", Interlocked.Read(ref Expired)),
        new("evicted", Interlocked.Read(ref Evicted)),
        new("stripped", Interlocked.Read(ref Stripped)),
        new("resolved_found", Interlocked.Read(ref ResolvedFound)),
        new("resolved_no_toa", Interlocked.Read(ref ResolvedNoToa)),
        new("resolved_unknown", Interlocked.Read(ref ResolvedUnknown)),
        new("ipv6_clients_stored", Interlocked.Read(ref Ipv6ClientsStored)),
        new("ipv6_clients_released", Interlocked.Read(ref Ipv6ClientsReleased)),
    ];
}
