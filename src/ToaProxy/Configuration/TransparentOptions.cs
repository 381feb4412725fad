namespace ToaProxy.Configuration;

/// <summary>The "Transparent" section: how replies to listeners with <c>Protocol: transparent</c> are routed back to the proxy.</summary>
public sealed class TransparentOptions
{
    /// <summary>Install (and remove on stop) the tagged mangle rules, ip rule and local route; false when set up by hand (docs/deployment.md).</summary>
    public bool? ManageRules { get; set; }

    /// <summary>SO_MARK of the proxy's upstream sockets; the mangle rules recognise the proxy's connections by it.</summary>
    public int? SocketMark { get; set; }

    /// <summary>Mark given to the backend's replies; the ip rule sends packets with it to <see cref="Table"/>.</summary>
    public int? ReplyMark { get; set; }

    /// <summary>Routing table holding <c>local 0.0.0.0/0 dev lo</c> (and <c>local ::/0</c>).</summary>
    public int? Table { get; set; }

    /// <summary>Priority of the ip rule; below the main table's 32766.</summary>
    public int? RulePriority { get; set; }
}
