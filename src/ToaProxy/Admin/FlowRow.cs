namespace ToaProxy.Admin;

/// <summary>
/// One flow-table record as /flows shows it (a /proc/net/toa_table line): the connection key as the
/// host sees it, the real client the load balancer announced (null while none), the option that
/// carried it, the segment it was seen on (syn, ack, data, fin), age and state (pending, has-toa, taken).
/// </summary>
public sealed record FlowRow(
    string Peer,
    string Local,
    string? Client,
    int? Kind,
    int? Length,
    string? Vip,
    uint? VpcId,
    string? SeenOn,
    double AgeSeconds,
    string State);
