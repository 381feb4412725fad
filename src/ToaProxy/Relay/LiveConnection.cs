namespace ToaProxy.Relay;

/// <summary>
/// One accepted connection from accept to close, as the <see cref="ConnectionRegistry"/> sees it:
/// registered before its real client is resolved, so a shutdown drain and the idle scan cover
/// connections still being set up as well as those already relaying.
/// </summary>
internal abstract class LiveConnection(long id, TimeSpan idleTimeout, ListenerCounters counters)
{
    private long _lastActivity = Environment.TickCount64;
    private int _aborted;

    public long Id { get; } = id;

    public long IdleTimeoutMs { get; } = (long)idleTimeout.TotalMilliseconds;

    public ListenerCounters Counters { get; } = counters;

    /// <summary>Environment.TickCount64 of the last byte relayed, or of the accept or relay start while setting up.</summary>
    public long LastActivity => Volatile.Read(ref _lastActivity);

    public bool IsAborted => Volatile.Read(ref _aborted) != 0;

    public void MarkActivity() => Volatile.Write(ref _lastActivity, Environment.TickCount64);

    /// <summary>Resets both sides; whatever stage the connection is in then ends. Any thread, any number of times.</summary>
    public void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) == 0)
        {
            ResetBothSides();
        }
    }

    /// <summary>Called once, by the first <see cref="Abort"/>.</summary>
    protected abstract void ResetBothSides();
}
