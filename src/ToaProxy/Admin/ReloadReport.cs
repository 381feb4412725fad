namespace ToaProxy.Admin;

/// <summary>
/// The reload part of /stats: how many config reloads were applied and rejected, and the last one's
/// trigger (file, SIGHUP), time, result ("applied" or "rejected") and errors (each naming its key).
/// </summary>
public sealed record ReloadReport(
    long Applied,
    long Rejected,
    string? LastResult,
    string? LastTrigger,
    DateTimeOffset? LastAt,
    IReadOnlyList<string> LastErrors);
