namespace ToaProxy.Configuration;

/// <summary>Where the running configuration came from, so a reload reads the same file with the same overrides.</summary>
public sealed record ConfigSource(string Path, IReadOnlyList<string> Overrides);
