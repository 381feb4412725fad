namespace ToaProxy.Admin;

/// <summary>GET /readyz: ready only when the capture runs and every listener is bound; otherwise why not.</summary>
public sealed record ReadinessReport(bool Ready, IReadOnlyList<string> Reasons)
{
    /// <param name="captureHealthy">CaptureService.IsHealthy: running, or no backend by choice.</param>
    /// <param name="listeners">Every configured listener's name and whether it is bound now.</param>
    public static ReadinessReport Evaluate(bool captureHealthy, string backend, Exception? fault, IReadOnlyList<(string Name, bool Bound)> listeners)
    {
        var reasons = new List<string>();
        if (!captureHealthy)
        {
            reasons.Add(fault is null ? $"capture {backend} is not running" : $"capture {backend} failed: {fault.Message}");
        }

        foreach ((string name, bool bound) in listeners)
        {
            if (!bound)
            {
                reasons.Add($"listener {name} is not bound");
            }
        }

        return new ReadinessReport(reasons.Count == 0, reasons);
    }
}
