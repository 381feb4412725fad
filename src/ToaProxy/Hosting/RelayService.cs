using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ToaProxy.Capture.Flows;
using ToaProxy.Configuration;
using ToaProxy.Metrics;
using ToaProxy.Relay;
using ToaProxy.Relay.Epoll;

namespace ToaProxy.Hosting;

/// <summary>Binds every listener at start; on stop, closes them, lets live connections finish for
/// ShutdownTimeout, then closes what remains. A config reload adds, reconfigures and retires
/// listeners without touching live connections.</summary>
public sealed partial class RelayService : IHostedService
{
    private readonly FlowTable _flows;
    private readonly ConnectionRegistry _registry;
    private readonly RelayWorkerPool _workers;
    private readonly CaptureService _capture;
    private readonly ToaProxyMetrics _metrics;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly List<ProxyListener> _retired = [];
    private volatile ProxySettings _settings;

    // Replaced whole, never mutated, so the admin API can read it while a reload runs.
    private volatile IReadOnlyList<ProxyListener> _listeners = [];

    public RelayService(ProxySettings settings, FlowTable flows, ConnectionRegistry registry, RelayWorkerPool workers, CaptureService capture, ToaProxyMetrics metrics, ILoggerFactory loggerFactory)
    {
        _settings = settings;
        _flows = flows;
        _registry = registry;
        _workers = workers;
        _capture = capture;
        _metrics = metrics;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<RelayService>();
    }

    public IReadOnlyList<ProxyListener> Listeners => _listeners;

    /// <summary>The settings in force: those of the start, or of the last reload applied.</summary>
    public ProxySettings Settings => _settings;

    public bool AllBound => _listeners.Count == _settings.Listeners.Count && _listeners.All(l => l.IsBound);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var started = new List<ProxyListener>();
        foreach (ListenerSettings settings in _settings.Listeners)
        {
            try
            {
                started.Add(StartListener(settings));
            }
            catch
            {
                foreach (ProxyListener listener in started)
                {
                    await listener.DisposeAsync().ConfigureAwait(false);
                }

                throw;
            }
        }

        _listeners = started;
        WarnIfOpenFilesRunShort(_settings);

        CaptureSettings capture = _settings.Capture;
        LogStarted(
            capture.Backend.ToString().ToLowerInvariant(),
            CaptureService.Describe(capture),
            string.Join(",", _capture.Ports),
            capture.TrustedSources.TrustsEveryone ? "any" : string.Join(",", capture.TrustedSources.Ranges),
            string.Join("; ", _settings.Listeners.Select(l =>
                $"{l.Name} {l.Listen} -> {l.Upstream} {ProxyProtocolName.Format(l)} without-toa={l.WithoutToa.ToString().ToLowerInvariant()}")));
    }

    /// <summary>
    /// Applies a reloaded configuration. New listen addresses are bound first: if one cannot be, nothing
    /// changes and the errors (keyed like the config) are returned. Then listeners on the same address
    /// take their new settings, and those no longer configured stop accepting; every live connection
    /// goes on with the settings it started with.
    /// </summary>
    public async Task<IReadOnlyList<string>> ApplyAsync(ProxySettings next)
    {
        IReadOnlyList<ProxyListener> current = _listeners;
        var errors = new List<string>();
        for (int i = 0; i < next.Listeners.Count; i++)
        {
            ListenerSettings settings = next.Listeners[i];
            if (current.FirstOrDefault(l => l.Settings.Listen.Equals(settings.Listen))?.RestartNeededFor(settings) is { } reason)
            {
                errors.Add($"{ToaProxyOptions.SectionName}:Listeners:{i}: {reason}");
            }
        }

        if (errors.Count > 0)
        {
            return errors;
        }

        var added = new List<ProxyListener>();
        for (int i = 0; i < next.Listeners.Count; i++)
        {
            ListenerSettings settings = next.Listeners[i];
            if (current.Any(l => l.Settings.Listen.Equals(settings.Listen)))
            {
                continue;
            }

            try
            {
                added.Add(StartListener(settings));
            }
            catch (InvalidOperationException e)
            {
                errors.Add($"{ToaProxyOptions.SectionName}:Listeners:{i}:Listen: {e.Message}");
            }
        }

        if (errors.Count > 0)
        {
            foreach (ProxyListener listener in added)
            {
                await listener.DisposeAsync().ConfigureAwait(false);
            }

            return errors;
        }

        var kept = new List<ProxyListener>();
        foreach (ProxyListener listener in current)
        {
            ListenerSettings? same = next.Listeners.FirstOrDefault(s => s.Listen.Equals(listener.Settings.Listen));
            if (same is null)
            {
                await listener.StopAcceptingAsync().ConfigureAwait(false);
                lock (_retired)
                {
                    _retired.Add(listener);
                }

                LogRetired(listener.Settings.Name, listener.Settings.Listen.ToString());
            }
            else
            {
                listener.Reconfigure(same);
                kept.Add(listener);
            }
        }

        // In configuration order, as at start.
        _listeners = [.. next.Listeners.Select(s => kept.Concat(added).First(l => l.Settings.Listen.Equals(s.Listen)))];
        _settings = next;
        WarnIfOpenFilesRunShort(next);
        return [];
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (ProxyListener listener in _listeners)
        {
            await listener.StopAcceptingAsync().ConfigureAwait(false);
        }

        int live = _registry.Count;
        if (live > 0)
        {
            LogDraining(live, _settings.ShutdownTimeout.TotalSeconds);
        }

        int aborted = await _registry.DrainAsync(_settings.ShutdownTimeout).ConfigureAwait(false);
        if (aborted > 0)
        {
            LogAborted(aborted);
        }

        foreach (ProxyListener listener in _listeners)
        {
            await listener.DisposeAsync().ConfigureAwait(false);
        }

        ProxyListener[] retired;
        lock (_retired)
        {
            retired = [.. _retired];
        }

        foreach (ProxyListener listener in retired)
        {
            await listener.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void WarnIfOpenFilesRunShort(ProxySettings settings)
    {
        long maxConnections = settings.Listeners.Sum(l => (long)l.MaxConnections);
        long needed = OpenFileBudget.Needed(maxConnections);
        if (OpenFileBudget.Limit() is long limit && limit < needed)
        {
            LogOpenFilesShort(limit, OpenFileBudget.Connections(limit), OpenFileBudget.Reserve, maxConnections, needed);
        }
    }

    private ProxyListener StartListener(ListenerSettings settings)
    {
        var listener = new ProxyListener(settings, _flows, _workers, _registry, _metrics, _loggerFactory.CreateLogger($"ToaProxy.Listener.{settings.Name}"), _loggerFactory)
        {
            TransparentSocketMark = _settings.Transparent.SocketMark,
        };
        listener.Start();
        return listener;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "toaproxy started: capture {Backend} on {Capture}, ports {Ports}, TOA trusted from {Trusted}; relaying {Listeners}")]
    private partial void LogStarted(string backend, string capture, string ports, string trusted, string listeners);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Open-file limit {Limit} holds about {Connections} relayed connections (2 descriptors each, {Reserve} kept for the process), fewer than the listeners' MaxConnections ({MaxConnections} in all): past it accept fails with EMFILE and the runtime may fail when it needs a descriptor. Raise the limit to {Needed} (systemd LimitNOFILE, docker --ulimit nofile, ulimit -n) or lower MaxConnections")]
    private partial void LogOpenFilesShort(long limit, long connections, int reserve, long maxConnections, long needed);

    [LoggerMessage(Level = LogLevel.Information, Message = "Listener {Listener} on {Listen} removed by a reload: no longer accepting; its live connections go on")]
    private partial void LogRetired(string listener, string listen);

    [LoggerMessage(Level = LogLevel.Information, Message = "Shutting down: listeners closed, {Live} live connections have {Seconds}s to finish")]
    private partial void LogDraining(int live, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shutdown timeout reached: closed {Aborted} connections that were still open")]
    private partial void LogAborted(int aborted);
}
