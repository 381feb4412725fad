using Microsoft.Extensions.Logging;

namespace ToaProxy.Fuzzing;

/// <summary>
/// HandshakeObserver catches any exception of its decode path and only logs it, so a fuzzer would
/// never see one; this logger rethrows every logged exception to make it a crash again.
/// </summary>
public sealed class FaultRaisingLogger : ILogger
{
    public static FaultRaisingLogger Instance { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (exception is not null)
        {
            throw new FuzzInvariantException($"HandshakeObserver swallowed a decode fault: {exception}");
        }
    }
}
