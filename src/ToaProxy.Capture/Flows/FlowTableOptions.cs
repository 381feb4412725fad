namespace ToaProxy.Capture.Flows;

public sealed class FlowTableOptions
{
    /// <summary>How long a record the relay never took is kept (and a taken one, to absorb repeats).</summary>
    public TimeSpan FlowTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Upper bound on records held; beyond it the oldest taken, then the oldest untaken, are evicted.</summary>
    public int MaxFlows { get; set; } = 262_144;
}
