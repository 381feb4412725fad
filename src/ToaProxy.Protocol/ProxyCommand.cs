namespace ToaProxy.Protocol;

/// <summary>The PROXY v2 command (low nibble of byte 13).</summary>
public enum ProxyCommand : byte
{
    /// <summary>The proxy's own connection (health check): the receiver uses the real socket endpoints.</summary>
    Local = 0,
    /// <summary>Relayed on behalf of a client: the receiver uses the addresses in the header.</summary>
    Proxy = 1,
}
