namespace ToaProxy.Configuration;

public sealed class AdminOptions
{
    /// <summary>"ip:port" of the admin endpoint; empty or "off" disables it. Loopback by default.</summary>
    public string? Listen { get; set; }

    /// <summary>True when the operator switched the endpoint off ("off" or empty); unset means the default address.</summary>
    public bool IsOff => Listen is not null && (Listen.Trim().Length == 0 || string.Equals(Listen.Trim(), "off", StringComparison.OrdinalIgnoreCase));
}
