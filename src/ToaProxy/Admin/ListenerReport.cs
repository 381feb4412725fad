namespace ToaProxy.Admin;

/// <summary>One listener in /stats: where it listens and relays to, whether it is bound, its counters.</summary>
public sealed record ListenerReport(string Name, string Listen, string Upstream, bool Bound, Dictionary<string, long> Counters);
