namespace ToaProxy.Configuration;

public sealed class AdminOptions
{
    /// <summary>"ip:port" of the admin endpoint; empty or "off" disables it. Loopback by default.</summary>
    public string? Listen { get; set; }
}
