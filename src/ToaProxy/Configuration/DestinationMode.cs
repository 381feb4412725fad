namespace ToaProxy.Configuration;

public enum DestinationMode
{
    /// <summary>The accepted socket's local address.</summary>
    Local,
    /// <summary>The load balancer's original destination (VIP) when its options carried one, else the local address.</summary>
    Vip,
}
