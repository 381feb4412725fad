using System.Net.Sockets;

namespace ToaProxy.Relay;

/// <summary>
/// A connection relayed through managed sockets (<see cref="DuplexRelay"/>): transparent listeners,
/// upstreams named by host name, and HTTP mode's client side. It is all the per-connection state an
/// idle relayed connection keeps besides its two sockets and two copy loops, hence one object.
/// </summary>
internal sealed class SocketConnection(long id, Socket client, TimeSpan idleTimeout, ListenerCounters counters)
    : LiveConnection(id, idleTimeout, counters)
{
    private Socket? _upstream;
    private int _openDirections = 2;

    public Socket Client { get; } = client;

    public Socket? Upstream => Volatile.Read(ref _upstream);

    public void AttachUpstream(Socket upstream) => Volatile.Write(ref _upstream, upstream);

    /// <summary>True, seen from a direction that is still running, when the other one has ended.</summary>
    public bool OtherDirectionEnded => Volatile.Read(ref _openDirections) == 1;

    /// <summary>Records that one relay direction has ended; true for the second, which then closes the connection.</summary>
    public bool EndDirection() => Interlocked.Decrement(ref _openDirections) == 0;

    protected override void ResetBothSides()
    {
        SocketAbort.Reset(Client);
        if (Volatile.Read(ref _upstream) is Socket upstream)
        {
            SocketAbort.Reset(upstream);
        }
    }
}
