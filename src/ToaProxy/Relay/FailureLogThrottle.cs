namespace ToaProxy.Relay;

/// <summary>
/// Decides when a repeated failure is logged: the first time a reason is seen, then at most every
/// 10 s with the number of repeats held back, so a failure that persists does not flood the log.
/// </summary>
internal sealed class FailureLogThrottle
{
    private const long IntervalMs = 10_000;
    private readonly Lock _lock = new();
    private string? _lastReason;
    private long _lastLoggedAt = long.MinValue;
    private int _suppressed;

    /// <summary>True when this occurrence should be logged; <paramref name="suppressed"/> is how many were held back since the last.</summary>
    public bool ShouldLog(string reason, out int suppressed)
    {
        lock (_lock)
        {
            long now = Environment.TickCount64;
            if (reason == _lastReason && now - _lastLoggedAt < IntervalMs)
            {
                _suppressed++;
                suppressed = 0;
                return false;
            }

            suppressed = _suppressed;
            _suppressed = 0;
            _lastReason = reason;
            _lastLoggedAt = now;
            return true;
        }
    }
}
