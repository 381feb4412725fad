using System.Net.Sockets;

namespace ToaProxy.Relay;

/// <summary>
/// One accepted connection from accept to close, as the <see cref="ConnectionRegistry"/> sees it:
/// registered before its real client is resolved, so a shutdown drain and the idle scan cover
/// connections still being set up as well as those already relaying.
/// </summary>
internal sealed class LiveConnection(Socket client)
{
    private readonly long _acceptedAt = Environment.TickCount64;
    private Socket? _upstream;
    private DuplexRelay? _relay;
    private int _aborted;

    /// <summary>Environment.TickCount64 of the last byte relayed, or of the accept while setting up.</summary>
    public long LastActivity => Volatile.Read(ref _relay)?.LastActivity ?? _acceptedAt;

    public bool IsAborted => Volatile.Read(ref _aborted) != 0;

    public Socket? Upstream => Volatile.Read(ref _upstream);

    public void AttachUpstream(Socket upstream) => Volatile.Write(ref _upstream, upstream);

    public void AttachRelay(DuplexRelay relay) => Volatile.Write(ref _relay, relay);

    /// <summary>Resets both sides; whatever stage the connection is in then ends.</summary>
    public void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0)
        {
            return;
        }

        if (Volatile.Read(ref _relay) is DuplexRelay relay)
        {
            relay.Abort();
            return;
        }

        SocketAbort.Reset(client);
        if (Volatile.Read(ref _upstream) is Socket upstream)
        {
            SocketAbort.Reset(upstream);
        }
    }
}
