namespace ToaProxy.Configuration;

public sealed class ListenerOptions
{
    public string? Name { get; set; }

    /// <summary>"ip:port" or "[ipv6]:port".</summary>
    public string? Listen { get; set; }

    /// <summary>"host:port" of the PROXY-aware backend.</summary>
    public string? Upstream { get; set; }

    /// <summary>proxy-v2 (default), proxy-v1, http (terminate HTTP and forward with X-Forwarded-For; see Http), or transparent (connect upstream from the real client's address).</summary>
    public string? Protocol { get; set; }

    /// <summary>What to do when the connection has no TOA: peer (default), local, reject.</summary>
    public string? WithoutToa { get; set; }

    /// <summary>PROXY destination: local (the accepted socket's address, default) or vip (the load balancer's original destination when it sent one).</summary>
    public string? Destination { get; set; }

    /// <summary>Longest wait for the capture to report a connection's TOA.</summary>
    public string? ToaWait { get; set; }

    /// <summary>Keep waiting (up to ToaWait) for the client's first data packet, for load balancers that put TOA only on data.</summary>
    public bool? WaitForData { get; set; }

    public string? ConnectTimeout { get; set; }

    public string? IdleTimeout { get; set; }

    public int? MaxConnections { get; set; }

    /// <summary>PROXY v2 TLVs to add: unique-id, crc32c, vpc-id.</summary>
    public List<string> Tlvs { get; set; } = [];

    /// <summary>TLV type (0xE0-0xEF) that carries the VPC id when Tlvs has vpc-id.</summary>
    public int? VpcIdTlvType { get; set; }

    /// <summary>HTTP mode settings, for Protocol http.</summary>
    public HttpListenerOptions? Http { get; set; }
}
