using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ToaProxy.Capture.Flows;
using ToaProxy.Configuration;
using ToaProxy.Metrics;
using ToaProxy.Relay;

namespace ToaProxy.Hosting;

/// <summary>Binds every listener at start; on stop, closes them, lets live connections finish for
/// ShutdownTimeout, then closes what remains.</summary>
public sealed partial class RelayService : IHostedService
{
    private readonly ProxySettings _settings;
    private readonly FlowTable _flows;
    private readonly ConnectionRegistry _registry;
    private readonly CaptureService _capture;
    private readonly ToaProxyMetrics _metrics;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly List<ProxyListener> _listeners = [];

    public RelayService(ProxySettings settings, FlowTable flows, ConnectionRegistry registry, CaptureService capture, ToaProxyMetrics metrics, ILoggerFactory loggerFactory)
    {
        _settings = settings;
        _flows = flows;
        _registry = registry;
        _capture = capture;
        _metrics = metrics;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<RelayService>();
    }

    public IReadOnlyList<ProxyListener> Listeners => _listeners;

    public bool AllBound => _listeners.Count == _settings.Listeners.Count && _listeners.All(l => l.IsBound);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (ListenerSettings settings in _settings.Listeners)
        {
            var listener = new ProxyListener(settings, _flows, _registry, _metrics, _loggerFactory.CreateLogger($"ToaProxy.Listener.{settings.Name}"), _loggerFactory)
            {
                TransparentSocketMark = _settings.Transparent.SocketMark,
            };
            try
            {
                listener.Start();
            }
            catch
            {
                foreach (ProxyListener started in _listeners)
                {
                    await started.DisposeAsync().ConfigureAwait(false);
                }

                _listeners.Clear();
                throw;
            }

            _listeners.Add(listener);
        }

        CaptureSettings capture = _settings.Capture;
        LogStarted(
            capture.Backend.ToString().ToLowerInvariant(),
            CaptureService.Describe(capture),
            string.Join(",", _capture.Ports),
            capture.TrustedSources.TrustsEveryone ? "any" : string.Join(",", capture.TrustedSources.Ranges),
            string.Join("; ", _settings.Listeners.Select(l =>
                $"{l.Name} {l.Listen} -> {l.Upstream} {ProxyProtocolName.Format(l)} without-toa={l.WithoutToa.ToString().ToLowerInvariant()}")));
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
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "toaproxy started: capture {Backend} on {Capture}, ports {Ports}, TOA trusted from {Trusted}; relaying {Listeners}")]
    private partial void LogStarted(string backend, string capture, string ports, string trusted, string listeners);

    [LoggerMessage(Level = LogLevel.Information, Message = "Shutting down: listeners closed, {Live} live connections have {Seconds}s to finish")]
    private partial void LogDraining(int live, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shutdown timeout reached: closed {Aborted} connections that were still open")]
    private partial void LogAborted(int aborted);
}
