using ToaProxy.Admin;

namespace ToaProxy.Hosting;

/// <summary>Outcome of the config reloads so far, written by <see cref="ConfigReloadService"/>, read by /stats.</summary>
public sealed class ReloadStatus
{
    private readonly Lock _lock = new();
    private ReloadReport _report = new(0, 0, null, null, null, []);

    public ReloadReport Report()
    {
        lock (_lock)
        {
            return _report;
        }
    }

    public void RecordApplied(string trigger, IReadOnlyList<string> warnings)
    {
        lock (_lock)
        {
            _report = _report with { Applied = _report.Applied + 1, LastResult = "applied", LastTrigger = trigger, LastAt = DateTimeOffset.UtcNow, LastErrors = warnings };
        }
    }

    public void RecordRejected(string trigger, IReadOnlyList<string> errors)
    {
        lock (_lock)
        {
            _report = _report with { Rejected = _report.Rejected + 1, LastResult = "rejected", LastTrigger = trigger, LastAt = DateTimeOffset.UtcNow, LastErrors = errors };
        }
    }
}
