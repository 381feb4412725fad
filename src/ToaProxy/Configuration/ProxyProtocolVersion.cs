namespace ToaProxy.Configuration;

public enum ProxyProtocolVersion
{
    V2,
    V1,

    /// <summary>No header: the upstream connection is opened from the real client's own address (IP_TRANSPARENT).</summary>
    Transparent,
}
