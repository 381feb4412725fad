namespace ToaProxy.Capture.Iptables;

/// <summary>Which tool a rule belongs to: iptables (IPv4) or ip6tables (IPv6).</summary>
public enum IptablesFamily
{
    IPv4,
    IPv6,
}
