using Microsoft.Extensions.Logging;

namespace ToaProxy.Capture.Tests.Integration;

/// <summary>Counts error entries, so a test can tell a frame that was dropped by design from one
/// that reached the observer's exception guard.</summary>
internal sealed class CountingLogger : ILogger
{
    private int _errors;

    public int Errors => Volatile.Read(ref _errors);

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (logLevel >= LogLevel.Error)
        {
            Interlocked.Increment(ref _errors);
        }
    }
}
