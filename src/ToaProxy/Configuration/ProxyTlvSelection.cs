namespace ToaProxy.Configuration;

/// <summary>PROXY v2 TLVs a listener adds to each header.</summary>
[Flags]
public enum ProxyTlvSelection
{
    None = 0,
    /// <summary>PP2_TYPE_UNIQUE_ID: a per-connection id the backend can log.</summary>
    UniqueId = 1,
    /// <summary>PP2_TYPE_CRC32C over the header.</summary>
    Crc32c = 2,
    /// <summary>The load balancer's VPC id in a custom TLV (0xE0-0xEF).</summary>
    VpcId = 4,
}
