using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ToaProxy.Capture.Flows;
using ToaProxy.Configuration;
using ToaProxy.HttpMode;
using ToaProxy.Metrics;
using ToaProxy.Protocol;
using ToaProxy.Relay.Epoll;
using ToaProxy.Transparent;

namespace ToaProxy.Relay;

/// <summary>
/// One configured listener: a listening socket the <see cref="RelayWorkerPool"/> accepts from, and per
/// connection the whole relay path — resolve the real client, connect upstream, write the PROXY
/// header, copy both ways. Connections to an upstream address take the workers' epoll relay
/// (<see cref="EpollConnection"/>); transparent ones and those to a host name take managed sockets
/// (<see cref="DuplexRelay"/>). A listener with Protocol http runs an <see cref="HttpForwardingHost"/> instead.
/// </summary>
public sealed partial class ProxyListener : IAsyncDisposable, IConnectionAcceptor
{
    private const int Backlog = 4096;

    private readonly FlowTable _flows;
    private readonly RelayWorkerPool _workers;
    private readonly ConnectionRegistry _registry;
    private readonly ToaProxyMetrics _metrics;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();

    // Cancelled only at dispose, after the drain: a connection still being set up when SIGTERM
    // arrives gets the same ShutdownTimeout as one already relaying.
    private readonly CancellationTokenSource _closing = new();
    private readonly UpstreamFailureLog _upstreamFailures;
    private readonly FailureLogThrottle _acceptFailures = new();
    private readonly ILoggerFactory _loggerFactory;
    private readonly Action<SocketConnection> _closeConnection;
    private readonly Action<SocketConnection, Exception> _relayFailed;
    private HttpForwardingHost? _http;
    private Task _httpStopping = Task.CompletedTask;
    private Socket? _listenSocket;
    private AcceptSource? _acceptSource;
    private int _pending;
    private volatile ListenerRuntime _runtime;

    public ProxyListener(ListenerSettings settings, FlowTable flows, RelayWorkerPool workers, ConnectionRegistry registry, ToaProxyMetrics metrics, ILogger logger, ILoggerFactory? loggerFactory = null)
    {
        _flows = flows;
        _workers = workers;
        _registry = registry;
        _metrics = metrics;
        _logger = logger;
        _upstreamFailures = new UpstreamFailureLog(logger, settings.Name);
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _closeConnection = Close;
        _relayFailed = (live, e) => LogConnectionFailed(e, Settings.Name, live.Id);
        _runtime = CreateRuntime(settings);
    }

    /// <summary>The current settings; a reload may replace them (same Listen address), new connections use the new ones.</summary>
    public ListenerSettings Settings => _runtime.Settings;

    public ListenerCounters Counters { get; } = new();

    /// <summary>SO_MARK of transparent upstream sockets (Transparent:SocketMark).</summary>
    public int TransparentSocketMark { get; init; } = TransparentSettings.DefaultSocketMark;

    public bool IsBound => (_listenSocket is not null || _http is not null) && !_stopping.IsCancellationRequested;

    internal CancellationToken ClosingToken => _closing.Token;

    internal bool LogsConnections => _logger.IsEnabled(LogLevel.Debug);

    /// <summary>Binds and starts accepting. Throws with the address and OS error when the bind fails.</summary>
    public void Start()
    {
        if (Settings.Http is not null)
        {
            var middleware = new RealClientConnectionMiddleware(Settings.Name, () => _runtime.Resolver, _registry, Counters, _logger, _closing.Token);
            _http = HttpForwardingHost.Start(Settings, middleware, Counters, _loggerFactory);
            return;
        }

        var socket = new Socket(Settings.Listen.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            // Accepted sockets inherit TCP_NODELAY from the listener: one setsockopt(2) here, none per connection.
            socket.NoDelay = true;
            if (Settings.Listen.AddressFamily == AddressFamily.InterNetworkV6)
            {
                // Like nginx's ipv6only=on: "[::]:443" is IPv6 only; configure a second listener for IPv4.
                socket.DualMode = false;
            }

            socket.Bind(Settings.Listen);
            socket.Listen(Backlog);
            // Every worker waits on it; the ones that lose the race for a connection must not block in accept(2).
            socket.Blocking = false;
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new InvalidOperationException(
                $"Listener \"{Settings.Name}\" cannot listen on {Settings.Listen}: {e.Message} ({e.SocketErrorCode})", e);
        }

        _listenSocket = socket;
        _acceptSource = _workers.AddListener((int)socket.Handle, this);
    }

    /// <summary>
    /// Why <paramref name="next"/> cannot be applied without a restart, or null when it can. An http
    /// listener's Kestrel and YARP are built from its Upstream, timeouts, MaxConnections and Http
    /// section; only how it resolves the client (ToaWait, WaitForData, WithoutToa) can change live.
    /// </summary>
    public string? RestartNeededFor(ListenerSettings next)
    {
        ListenerSettings current = Settings;
        if (!next.Listen.Equals(current.Listen))
        {
            return $"a listener on {current.Listen} cannot move to {next.Listen}";
        }

        if ((current.Http is null) != (next.Http is null))
        {
            return "changing Protocol to or from http takes a restart";
        }

        if (current.Http is not null && next.Http is not null
            && (!next.Upstream.Equals(current.Upstream) || next.ConnectTimeout != current.ConnectTimeout
                || next.IdleTimeout != current.IdleTimeout || next.MaxConnections != current.MaxConnections
                || !HttpSectionEquals(current.Http, next.Http)))
        {
            return "an http listener's Upstream, ConnectTimeout, IdleTimeout, MaxConnections and Http section take a restart";
        }

        return null;
    }

    /// <summary>Applies reloaded settings to connections accepted from now on; see <see cref="RestartNeededFor"/>.</summary>
    public void Reconfigure(ListenerSettings settings)
    {
        if (RestartNeededFor(settings) is { } reason)
        {
            throw new ArgumentException($"Listener \"{Settings.Name}\": {reason}", nameof(settings));
        }

        _runtime = CreateRuntime(settings);
    }

    /// <summary>Stops accepting; connections already accepted go on.</summary>
    public async Task StopAcceptingAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        _stopping.Cancel();
        if (_acceptSource is not null)
        {
            // Closed only once no worker can be in accept(2) on it: its descriptor number could be reused.
            await _workers.RemoveListenerAsync(_acceptSource).ConfigureAwait(false);
        }

        _listenSocket?.Dispose();
        // Kestrel's graceful stop runs on while the relay drains; the dispose's _closing ends it.
        _httpStopping = _http?.StopAsync(_closing.Token) ?? Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAcceptingAsync().ConfigureAwait(false);
        // Not disposed: handlers still finishing may read the tokens, and these sources own no timer.
        _closing.Cancel();
        if (_http is not null)
        {
            await _httpStopping.ConfigureAwait(false);
            await _http.DisposeAsync().ConfigureAwait(false);
        }
    }

    EpollConnection? IConnectionAcceptor.OnAccepted(RelayWorker worker, int fd, IPEndPoint peer)
    {
        Interlocked.Increment(ref Counters.Accepted);
        if (Interlocked.Increment(ref _pending) > Settings.MaxConnections)
        {
            Interlocked.Decrement(ref _pending);
            Interlocked.Increment(ref Counters.RefusedMaxConnections);
            RelaySystemCalls.Reset(fd);
            return null;
        }

        // One connection runs on one version of the settings, even if a reload lands meanwhile.
        ListenerRuntime runtime = _runtime;
        // A listener on one address knows its connections' local end without a getsockname(2).
        IPEndPoint? local = runtime.ListensOnOneAddress ? runtime.Settings.Listen : LocalEndPointOf(fd);
        if (local is null)
        {
            Interlocked.Decrement(ref _pending);
            RelaySystemCalls.Reset(fd);
            return null;
        }

        if (runtime.DirectUpstream is null)
        {
            var client = new Socket(new SafeSocketHandle(fd, ownsHandle: true));
            ThreadPool.UnsafeQueueUserWorkItem(state => _ = HandleAsync(state.client, state.peer, state.local, state.runtime), (client, peer, local, runtime), preferLocal: false);
            return null;
        }

        Interlocked.Increment(ref Counters.Active);
        var connection = new EpollConnection(_registry.NextId(), this, runtime, worker, fd, peer, local);
        _registry.Add(connection);
        return connection;
    }

    void IConnectionAcceptor.OnAcceptFailed(int errno)
    {
        Interlocked.Increment(ref Counters.AcceptFailures);
        string reason = SocketErrorText.Describe(errno);
        if (_acceptFailures.ShouldLog(reason, out int suppressed))
        {
            LogAcceptFailed(Settings.Name, reason, suppressed);
        }
    }

    internal void RecordUpstreamConnect(ListenerSettings settings, long start) => _metrics.RecordUpstreamConnect(start, settings.Name);

    /// <summary>Counts and logs (rate-limited) a failed upstream connect; nothing when shutdown ended it.</summary>
    internal void ReportUpstreamFailure(ListenerSettings settings, string reason)
    {
        if (_closing.IsCancellationRequested)
        {
            return;
        }

        Interlocked.Increment(ref Counters.UpstreamConnectFailures);
        _upstreamFailures.Report(settings.Upstream.ToString(), reason);
    }

    /// <summary>A connection (on either relay) has closed both its sockets.</summary>
    internal void OnRelayClosed(LiveConnection connection)
    {
        _registry.Remove(connection.Id);
        Interlocked.Decrement(ref Counters.Active);
        Interlocked.Decrement(ref _pending);
    }

    internal static string FormatEndpoint(NetAddress address, ushort port) =>
        address.IsIPv4 ? $"{address}:{port}" : $"[{address}]:{port}";

    private static unsafe IPEndPoint? LocalEndPointOf(int fd)
    {
        byte* address = stackalloc byte[SocketAddressCodec.MaxLength];
        int length = SocketAddressCodec.MaxLength;
        return RelaySystemCalls.GetSockName(fd, address, &length) == 0
            ? SocketAddressCodec.Read(new ReadOnlySpan<byte>(address, length))
            : null;
    }

    private async Task HandleAsync(Socket client, IPEndPoint peer, IPEndPoint local, ListenerRuntime runtime)
    {
        Interlocked.Increment(ref Counters.Active);
        var live = new SocketConnection(_registry.NextId(), client, runtime.Settings.IdleTimeout, Counters);
        _registry.Add(live);
        Socket? upstream = null;
        try
        {
            upstream = await SetUpAsync(client, peer, local, live, runtime).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            LogConnectionEnded(runtime.Settings.Name, live.Id, e.Message);
            // Failed while being set up: neither side may take it for a clean end.
            live.Abort();
        }
        catch (Exception e)
        {
            LogConnectionFailed(e, runtime.Settings.Name, live.Id);
            live.Abort();
        }

        if (upstream is null)
        {
            Close(live);
            return;
        }

        // This method ends here, so an idle connection keeps no frame of it; the relay closes the connection.
        DuplexRelay.Start(live, upstream, _closeConnection, _relayFailed);
    }

    private void Close(SocketConnection live)
    {
        live.Client.Dispose();
        live.Upstream?.Dispose();
        OnRelayClosed(live);
    }

    /// <summary>Resolves the real client, connects upstream and sends the header; returns the upstream socket, or null when the connection was refused (and reset).</summary>
    private async Task<Socket?> SetUpAsync(Socket client, IPEndPoint peer, IPEndPoint local, SocketConnection live, ListenerRuntime runtime)
    {
        long id = live.Id;
        ListenerSettings settings = runtime.Settings;
        // Non-blocking for the synchronous first attempt of every send (DuplexRelay.SendAllAsync); async calls are unaffected.
        client.Blocking = false;
        FlowResolution resolution = await runtime.Resolver.WaitForFlowAsync(
            peer, local, settings.WaitForData ? WhenReadable(client) : null, _closing.Token).ConfigureAwait(false);

        bool transparent = settings.Protocol == ProxyProtocolVersion.Transparent;
        HeaderPlan plan = default;
        IPEndPoint? source = null;
        if (transparent ? !runtime.TransparentSources.TryChoose(resolution, peer, out source) : !runtime.Resolver.TryPlanHeader(resolution, peer, local, id, out plan))
        {
            LogRejected(settings.Name, id, peer, resolution.Status);
            SocketAbort.Reset(client);
            return null;
        }

        Socket? upstream = await ConnectUpstreamAsync(settings, source).ConfigureAwait(false);
        if (upstream is null)
        {
            SocketAbort.Reset(client);
            return null;
        }

        upstream.Blocking = false;
        live.AttachUpstream(upstream);

        if (transparent)
        {
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                LogRelaying(settings.Name, id, peer, $"{upstream.LocalEndPoint} (transparent)", resolution.Status);
            }
        }
        else
        {
            byte[] buffer = ArrayPool<byte>.Shared.Rent(DuplexRelay.BufferSize);
            try
            {
                int headerLength = ProxyHeaderComposer.Compose(buffer, settings, plan);
                // What the client sent while the upstream connection was made (an HTTP request, a TLS
                // ClientHello) goes out in the header's segment: one send and one segment fewer.
                int early = DuplexRelay.ReceiveAvailable(client, buffer.AsSpan(headerLength));
                await DuplexRelay.SendAllAsync(upstream, buffer.AsMemory(0, headerLength + early), _closing.Token).ConfigureAwait(false);
                if (early > 0)
                {
                    Interlocked.Add(ref Counters.BytesFromClient, early);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            if (_logger.IsEnabled(LogLevel.Debug))
            {
                // Guarded: the client text would otherwise be formatted for every connection.
                LogRelaying(settings.Name, id, peer, plan.IsLocal ? "LOCAL" : FormatEndpoint(plan.Source, plan.SourcePort), resolution.Status);
            }
        }

        if (live.IsAborted)
        {
            // Aborted (shutdown deadline) while setting up, maybe before the upstream was attached: the
            // relay loops then end at once on the reset sockets.
            SocketAbort.Reset(upstream);
        }

        return upstream;
    }

    /// <summary>Completes once the socket has data or its FIN, taking none of it: a zero-byte receive.</summary>
    private static Func<CancellationToken, Task> WhenReadable(Socket client) =>
        cancellationToken => client.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, cancellationToken).AsTask();

    /// <param name="transparentSource">The real client to connect from, or null for the proxy's own address.</param>
    private async Task<Socket?> ConnectUpstreamAsync(ListenerSettings settings, IPEndPoint? transparentSource)
    {
        HostPort target = settings.Upstream;
        IPAddress? address = target.Address;
        Socket? socket = null;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_closing.Token);
        timeout.CancelAfter(settings.ConnectTimeout);
        long start = Stopwatch.GetTimestamp();
        try
        {
            if (transparentSource is not null)
            {
                (socket, bool ownPort) = await TransparentUpstreamSocket.ConnectAsync(
                    transparentSource, new IPEndPoint(address!, target.Port), TransparentSocketMark, timeout.Token).ConfigureAwait(false);
                if (!ownPort)
                {
                    Interlocked.Increment(ref Counters.TransparentEphemeralPort);
                }
            }
            else
            {
                socket = address is null
                    ? new Socket(SocketType.Stream, ProtocolType.Tcp)
                    : new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                socket.NoDelay = true;
                if (address is null)
                {
                    await socket.ConnectAsync(new DnsEndPoint(target.Host, target.Port), timeout.Token).ConfigureAwait(false);
                }
                else
                {
                    await socket.ConnectAsync(new IPEndPoint(address, target.Port), timeout.Token).ConfigureAwait(false);
                }
            }

            _metrics.RecordUpstreamConnect(start, settings.Name);
            return socket;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            socket?.Dispose();
            ReportUpstreamFailure(settings, e is SocketException se ? $"{se.SocketErrorCode}: {se.Message}" : $"no answer within ConnectTimeout {Duration.Format(settings.ConnectTimeout)}");
            return null;
        }
    }

    private ListenerRuntime CreateRuntime(ListenerSettings settings) => new(
        settings,
        new RealClientResolver(settings, _flows, _metrics, Counters),
        new TransparentSourceChooser(settings, Counters, _logger));

    private static bool HttpSectionEquals(HttpListenerSettings a, HttpListenerSettings b) =>
        a.Forwarded == b.Forwarded && a.UpstreamH2c == b.UpstreamH2c
        && a.TrustForwardedHeadersFrom.SequenceEqual(b.TrustForwardedHeadersFrom)
        && a.Certificate?.Thumbprint == b.Certificate?.Thumbprint;

    [LoggerMessage(Level = LogLevel.Error, Message = "Listener {Listener}: accept failed ({Error}); new connections wait in the backlog, retrying every 50 ms ({Suppressed} similar failures since the last message)")]
    private partial void LogAcceptFailed(string listener, string error, int suppressed);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Listener {Listener} conn {ConnectionId}: from {Peer} rejected, TOA {Resolution} and WithoutToa is reject")]
    internal partial void LogRejected(string listener, long connectionId, IPEndPoint peer, FlowResolutionStatus resolution);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Listener {Listener} conn {ConnectionId}: from {Peer}, real client {Client} (TOA {Resolution})")]
    internal partial void LogRelaying(string listener, long connectionId, IPEndPoint peer, string client, FlowResolutionStatus resolution);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Listener {Listener} conn {ConnectionId}: ended early: {Reason}")]
    internal partial void LogConnectionEnded(string listener, long connectionId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Listener {Listener} conn {ConnectionId}: unexpected failure")]
    internal partial void LogConnectionFailed(Exception e, string listener, long connectionId);
}
