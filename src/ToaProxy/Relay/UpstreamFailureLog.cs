using Microsoft.Extensions.Logging;

namespace ToaProxy.Relay;

/// <summary>
/// Logs upstream connect failures once per reason and then at most every 10 s with a count, so an
/// upstream that is down does not flood the log while every failure stays counted.
/// </summary>
internal sealed partial class UpstreamFailureLog(ILogger logger, string listener)
{
    private readonly FailureLogThrottle _throttle = new();

    public void Report(string upstream, string reason)
    {
        if (_throttle.ShouldLog(reason, out int suppressed))
        {
            LogUpstreamFailed(listener, upstream, reason, suppressed);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listener {Listener}: upstream {Upstream} connect failed: {Reason}; client connection closed ({Suppressed} similar failures since the last message)")]
    private partial void LogUpstreamFailed(string listener, string upstream, string reason, int suppressed);
}
