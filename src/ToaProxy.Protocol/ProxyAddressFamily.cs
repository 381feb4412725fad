namespace ToaProxy.Protocol;

/// <summary>The PROXY v2 address family (high nibble of byte 14).</summary>
public enum ProxyAddressFamily : byte
{
    Unspecified = 0,
    Inet = 1,
    Inet6 = 2,
    Unix = 3,
}
