namespace ToaProxy.Admin;

/// <summary>GET /stats: every counter, the userspace /proc/net/toa_stats, and the config reloads' outcome. Also what `toaproxy stats` reads.</summary>
public sealed record StatsReport(CaptureReport Capture, IReadOnlyList<ListenerReport> Listeners, ReloadReport? Reload = null);
