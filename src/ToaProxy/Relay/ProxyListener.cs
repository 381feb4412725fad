using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using ToaProxy.Capture.Flows;
using ToaProxy.Configuration;
using ToaProxy.Metrics;
using ToaProxy.Protocol;

namespace ToaProxy.Relay;

/// <summary>
/// One configured listener: an accept loop, and per connection the whole relay path — resolve the
/// real client, connect upstream, write the PROXY header, copy both ways.
/// </summary>
public sealed partial class ProxyListener : IAsyncDisposable
{
    private const int Backlog = 4096;

    private readonly FlowTable _flows;
    private readonly ConnectionRegistry _registry;
    private readonly ToaProxyMetrics _metrics;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();

    // Cancelled only at dispose, after the drain: a connection still being set up when SIGTERM
    // arrives gets the same ShutdownTimeout as one already relaying.
    private readonly CancellationTokenSource _closing = new();
    private readonly UpstreamFailureLog _upstreamFailures;
    private Socket? _listenSocket;
    private Task _acceptLoop = Task.CompletedTask;
    private int _pending;

    private volatile ListenerSettings _settings;

    public ProxyListener(ListenerSettings settings, FlowTable flows, ConnectionRegistry registry, ToaProxyMetrics metrics, ILogger logger)
    {
        _settings = settings;
        _flows = flows;
        _registry = registry;
        _metrics = metrics;
        _logger = logger;
        _upstreamFailures = new UpstreamFailureLog(logger, settings.Name);
    }

    /// <summary>The current settings; a reload may replace them (same Listen address), new connections use the new ones.</summary>
    public ListenerSettings Settings => _settings;

    public ListenerCounters Counters { get; } = new();

    public bool IsBound => _listenSocket is not null && !_stopping.IsCancellationRequested;

    /// <summary>Binds and starts accepting. Throws with the address and OS error when the bind fails.</summary>
    public void Start()
    {
        var socket = new Socket(Settings.Listen.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            if (Settings.Listen.AddressFamily == AddressFamily.InterNetworkV6)
            {
                // Like nginx's ipv6only=on: "[::]:443" is IPv6 only; configure a second listener for IPv4.
                socket.DualMode = false;
            }

            socket.Bind(Settings.Listen);
            socket.Listen(Backlog);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new InvalidOperationException(
                $"Listener \"{Settings.Name}\" cannot listen on {Settings.Listen}: {e.Message} ({e.SocketErrorCode})", e);
        }

        _listenSocket = socket;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>Applies reloaded settings for the same Listen address to connections accepted from now on.</summary>
    public void Reconfigure(ListenerSettings settings)
    {
        if (!settings.Listen.Equals(_settings.Listen))
        {
            throw new ArgumentException($"a listener on {_settings.Listen} cannot move to {settings.Listen}", nameof(settings));
        }

        _settings = settings;
    }

    /// <summary>Stops accepting; connections already accepted go on.</summary>
    public async Task StopAcceptingAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        _stopping.Cancel();
        _listenSocket?.Dispose();
        await _acceptLoop.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAcceptingAsync().ConfigureAwait(false);
        // Not disposed: handlers still finishing may read the tokens, and these sources own no timer.
        _closing.Cancel();
    }

    private async Task AcceptLoopAsync()
    {
        Socket listen = _listenSocket!;
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listen.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                break;
            }
            catch (SocketException e)
            {
                // EMFILE and friends: keep the listener alive, back off briefly so the loop does not spin.
                LogAcceptFailed(e, Settings.Name, e.SocketErrorCode);
                await Task.Delay(50).ConfigureAwait(false);
                continue;
            }

            Interlocked.Increment(ref Counters.Accepted);
            if (Interlocked.Increment(ref _pending) > Settings.MaxConnections)
            {
                Interlocked.Decrement(ref _pending);
                Interlocked.Increment(ref Counters.RefusedMaxConnections);
                SocketAbort.Reset(client);
                continue;
            }

            _ = HandleAsync(client);
        }
    }

    private async Task HandleAsync(Socket client)
    {
        // One connection runs on one version of the settings, even if a reload lands meanwhile.
        ListenerSettings settings = Settings;
        Interlocked.Increment(ref Counters.Active);
        Socket? upstream = null;
        long id = _registry.NextId();
        var live = new LiveConnection(client);
        _registry.Add(id, live, settings.IdleTimeout, Counters);
        try
        {
            client.NoDelay = true;
            var peer = (IPEndPoint)client.RemoteEndPoint!;
            var local = (IPEndPoint)client.LocalEndPoint!;
            FlowResolution resolution = await _flows.ResolveAsync(
                FlowKey.FromEndPoints(peer, local), settings.ToaWait, settings.WaitForData, _closing.Token).ConfigureAwait(false);
            _metrics.RecordToaWait(resolution, settings.Name);

            if (!TryPlanHeader(settings, resolution, peer, local, id, out HeaderPlan plan))
            {
                LogRejected(settings.Name, id, peer, resolution.Status);
                SocketAbort.Reset(client);
                return;
            }

            upstream = await ConnectUpstreamAsync(settings).ConfigureAwait(false);
            if (upstream is null)
            {
                SocketAbort.Reset(client);
                return;
            }

            live.AttachUpstream(upstream);

            byte[] header = new byte[ProxyHeaderComposer.MaxLength];
            int headerLength = ProxyHeaderComposer.Compose(header, settings, plan);
            await upstream.SendAsync(header.AsMemory(0, headerLength), SocketFlags.None, _closing.Token).ConfigureAwait(false);
            LogRelaying(settings.Name, id, peer, plan.IsLocal ? "LOCAL" : FormatEndpoint(plan.Source, plan.SourcePort), resolution.Status);

            var relay = new DuplexRelay(client, upstream, Counters);
            live.AttachRelay(relay);
            if (live.IsAborted)
            {
                // Aborted (shutdown deadline) while setting up: end here rather than relay on closed sockets.
                relay.Abort();
            }

            await relay.RunAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            LogConnectionEnded(settings.Name, id, e.Message);
            SocketAbort.Reset(client);
        }
        catch (Exception e)
        {
            LogConnectionFailed(e, settings.Name, id);
            SocketAbort.Reset(client);
        }
        finally
        {
            _registry.Remove(id);
            client.Dispose();
            upstream?.Dispose();
            Interlocked.Decrement(ref Counters.Active);
            Interlocked.Decrement(ref _pending);
        }
    }

    private bool TryPlanHeader(ListenerSettings settings, in FlowResolution resolution, IPEndPoint peer, IPEndPoint local, long id, out HeaderPlan plan)
    {
        NetAddress localAddress = NetAddress.FromIPAddress(local.Address);
        if (resolution.IsFound)
        {
            ToaClient c = resolution.Client;
            bool useVip = settings.Destination == DestinationMode.Vip && c.HasVip;
            Interlocked.Increment(ref Counters.WithToa);
            plan = new HeaderPlan(
                false, c.Address, c.Port,
                useVip ? c.Vip : localAddress, useVip ? c.VipPort : (ushort)local.Port,
                c.HasVpcId, c.VpcId, id);
            return true;
        }

        switch (settings.WithoutToa)
        {
            case WithoutToaPolicy.Peer:
                Interlocked.Increment(ref Counters.WithoutToaPeer);
                plan = new HeaderPlan(false, NetAddress.FromIPAddress(peer.Address), (ushort)peer.Port, localAddress, (ushort)local.Port, false, 0, id);
                return true;
            case WithoutToaPolicy.Local:
                Interlocked.Increment(ref Counters.WithoutToaLocal);
                plan = HeaderPlan.Local(id);
                return true;
            default:
                Interlocked.Increment(ref Counters.RejectedWithoutToa);
                plan = default;
                return false;
        }
    }

    private async Task<Socket?> ConnectUpstreamAsync(ListenerSettings settings)
    {
        HostPort target = settings.Upstream;
        IPAddress? address = target.Address;
        Socket socket = address is null
            ? new Socket(SocketType.Stream, ProtocolType.Tcp)
            : new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        socket.NoDelay = true;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_closing.Token);
        timeout.CancelAfter(settings.ConnectTimeout);
        long start = Stopwatch.GetTimestamp();
        try
        {
            if (address is null)
            {
                await socket.ConnectAsync(new DnsEndPoint(target.Host, target.Port), timeout.Token).ConfigureAwait(false);
            }
            else
            {
                await socket.ConnectAsync(new IPEndPoint(address, target.Port), timeout.Token).ConfigureAwait(false);
            }

            _metrics.RecordUpstreamConnect(start, settings.Name);
            return socket;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            if (_closing.IsCancellationRequested)
            {
                return null;
            }

            Interlocked.Increment(ref Counters.UpstreamConnectFailures);
            string reason = e is SocketException se ? $"{se.SocketErrorCode}: {se.Message}" : $"no answer within ConnectTimeout {Duration.Format(settings.ConnectTimeout)}";
            _upstreamFailures.Report(target.ToString(), reason);
            return null;
        }
    }

    private static string FormatEndpoint(NetAddress address, ushort port) =>
        address.IsIPv4 ? $"{address}:{port}" : $"[{address}]:{port}";

    [LoggerMessage(Level = LogLevel.Error, Message = "Listener {Listener}: accept failed ({Error}); retrying")]
    private partial void LogAcceptFailed(Exception e, string listener, SocketError error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Listener {Listener} conn {ConnectionId}: from {Peer} rejected, TOA {Resolution} and WithoutToa is reject")]
    private partial void LogRejected(string listener, long connectionId, IPEndPoint peer, FlowResolutionStatus resolution);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Listener {Listener} conn {ConnectionId}: from {Peer}, real client {Client} (TOA {Resolution})")]
    private partial void LogRelaying(string listener, long connectionId, IPEndPoint peer, string client, FlowResolutionStatus resolution);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Listener {Listener} conn {ConnectionId}: ended early: {Reason}")]
    private partial void LogConnectionEnded(string listener, long connectionId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Listener {Listener} conn {ConnectionId}: unexpected failure")]
    private partial void LogConnectionFailed(Exception e, string listener, long connectionId);
}
