using Microsoft.Extensions.Logging;

namespace ToaProxy.Relay;

/// <summary>
/// Logs upstream connect failures once per reason and then at most every 10 s with a count, so an
/// upstream that is down does not flood the log while every failure stays counted.
/// </summary>
internal sealed partial class UpstreamFailureLog(ILogger logger, string listener)
{
    private static readonly long IntervalMs = 10_000;
    private readonly Lock _lock = new();
    private string? _lastReason;
    private long _lastLoggedAt = long.MinValue;
    private int _suppressed;

    public void Report(string upstream, string reason)
    {
        int suppressed;
        lock (_lock)
        {
            long now = Environment.TickCount64;
            if (reason == _lastReason && now - _lastLoggedAt < IntervalMs)
            {
                _suppressed++;
                return;
            }

            suppressed = _suppressed;
            _suppressed = 0;
            _lastReason = reason;
            _lastLoggedAt = now;
        }

        LogUpstreamFailed(listener, upstream, reason, suppressed);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listener {Listener}: upstream {Upstream} connect failed: {Reason}; client connection closed ({Suppressed} similar failures since the last message)")]
    private partial void LogUpstreamFailed(string listener, string upstream, string reason, int suppressed);
}
