namespace ToaProxy.Capture.Nfqueue;

/// <summary>Settings of <see cref="NfqueueCaptureBackend"/>.</summary>
public sealed record NfqueueCaptureOptions
{
    /// <summary>The NFQUEUE number to bind (one reader per number per network namespace).</summary>
    public ushort QueueNumber { get; init; }

    /// <summary>Install the INPUT rules for <see cref="RulePorts"/> (iptables and ip6tables) on start and
    /// remove them on stop; false when the operator manages the rules.</summary>
    public bool ManageRules { get; init; } = true;

    /// <summary>Local ports whose connections are queued; required when <see cref="ManageRules"/>.</summary>
    public IReadOnlyList<ushort> RulePorts { get; init; } = [];

    /// <summary>Managed rules pass packets through while no reader is bound (--queue-bypass) rather than drop them.</summary>
    public bool QueueBypass { get; init; } = true;

    /// <summary>The sink may rewrite packets (e.g. NOP out TOA so the server never sees it); costs one copy per packet.</summary>
    public bool AllowRewrite { get; init; }

    /// <summary>When the queue or socket overflows: true accepts packets unseen; false drops them (counted, TCP retransmits).</summary>
    public bool FailOpen { get; init; }

    public uint MaxQueueLength { get; init; } = 4096;

    public int SocketReceiveBufferBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>Tag of the managed rules' comment (toaproxy:&lt;tag&gt;).</summary>
    public string RuleTag { get; init; } = "capture";
}
