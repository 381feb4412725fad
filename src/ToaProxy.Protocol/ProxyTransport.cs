namespace ToaProxy.Protocol;

/// <summary>The PROXY v2 transport protocol (low nibble of byte 14).</summary>
public enum ProxyTransport : byte
{
    Unspecified = 0,
    Stream = 1,
    Datagram = 2,
}
