using System.Net.Sockets;

namespace ToaProxy.Relay;

/// <summary>
/// One accepted connection from accept to close, as the <see cref="ConnectionRegistry"/> and the
/// <see cref="DuplexRelay"/> loops see it: registered before its real client is resolved, so a
/// shutdown drain and the idle scan cover connections still being set up as well as those already
/// relaying. It is all the per-connection state an idle relayed connection keeps besides its two
/// sockets and two copy loops, hence one object rather than several.
/// </summary>
internal sealed class LiveConnection(long id, Socket client, TimeSpan idleTimeout, ListenerCounters counters)
{
    private Socket? _upstream;
    private long _lastActivity = Environment.TickCount64;
    private int _aborted;
    private int _openDirections = 2;

    public long Id { get; } = id;

    public Socket Client { get; } = client;

    public long IdleTimeoutMs { get; } = (long)idleTimeout.TotalMilliseconds;

    public ListenerCounters Counters { get; } = counters;

    /// <summary>Environment.TickCount64 of the last byte relayed, or of the accept or relay start while setting up.</summary>
    public long LastActivity => Volatile.Read(ref _lastActivity);

    public bool IsAborted => Volatile.Read(ref _aborted) != 0;

    public Socket? Upstream => Volatile.Read(ref _upstream);

    public void AttachUpstream(Socket upstream) => Volatile.Write(ref _upstream, upstream);

    public void MarkActivity() => Volatile.Write(ref _lastActivity, Environment.TickCount64);

    /// <summary>True, seen from a direction that is still running, when the other one has ended.</summary>
    public bool OtherDirectionEnded => Volatile.Read(ref _openDirections) == 1;

    /// <summary>Records that one relay direction has ended; true for the second, which then closes the connection.</summary>
    public bool EndDirection() => Interlocked.Decrement(ref _openDirections) == 0;

    /// <summary>Resets both sides; whatever stage the connection is in then ends.</summary>
    public void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0)
        {
            return;
        }

        SocketAbort.Reset(Client);
        if (Volatile.Read(ref _upstream) is Socket upstream)
        {
            SocketAbort.Reset(upstream);
        }
    }
}
