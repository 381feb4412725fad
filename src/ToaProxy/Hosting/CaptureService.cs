using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ToaProxy.Capture;
using ToaProxy.Capture.Flows;
using ToaProxy.Configuration;

namespace ToaProxy.Hosting;

/// <summary>
/// Runs the configured capture backend into the flow table, and sweeps expired flows. Started
/// before the listeners so no accepted connection's handshake is missed; stopped after them.
/// </summary>
public sealed partial class CaptureService : IHostedService, IAsyncDisposable
{
    private readonly ProxySettings _settings;
    private readonly FlowTable _flows;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private ICaptureBackend? _backend;
    private Timer? _sweep;

    public CaptureService(ProxySettings settings, FlowTable flows, ILoggerFactory loggerFactory)
    {
        _settings = settings;
        _flows = flows;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<CaptureService>();
    }

    public ICaptureBackend? Backend => _backend;

    /// <summary>True when a backend is capturing (or none is configured, which is a deliberate choice).</summary>
    public bool IsHealthy => _settings.Capture.Backend == CaptureBackendKind.None || _backend?.IsRunning == true;

    public ushort[] Ports => _settings.Listeners.Select(l => (ushort)l.Listen.Port).Distinct().ToArray();

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        CaptureSettings capture = _settings.Capture;
        if (capture.TrustedSources.TrustsEveryone && capture.Backend != CaptureBackendKind.None)
        {
            LogTrustsEveryone();
        }

        if (capture.Backend != CaptureBackendKind.None)
        {
            var observer = new HandshakeObserver(
                _flows, capture.OptionTable, capture.TrustedSources, Ports, capture.StripOption, _loggerFactory.CreateLogger<HandshakeObserver>());
            ICaptureBackend backend = CaptureBackendFactory.Create(capture, Ports, _loggerFactory);
            try
            {
                await backend.StartAsync(observer, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                await backend.DisposeAsync().ConfigureAwait(false);
                throw new InvalidOperationException(
                    $"Capture backend {backend.Name} could not start on {Describe(capture)}: {e.Message}", e);
            }

            _backend = backend;
            _flows.DrainBarrier = backend.WaitForDrainAsync;
        }

        TimeSpan period = TimeSpan.FromMilliseconds(Math.Clamp(capture.FlowTimeout.TotalMilliseconds / 10, 100, 1000));
        _sweep = new Timer(_ => _flows.Sweep(), null, period, period);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _flows.DrainBarrier = null;
        if (_sweep is not null)
        {
            await _sweep.DisposeAsync().ConfigureAwait(false);
            _sweep = null;
        }

        if (_backend is not null)
        {
            await _backend.StopAsync(cancellationToken).ConfigureAwait(false);
            await _backend.DisposeAsync().ConfigureAwait(false);
            _backend = null;
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    /// <summary>Human description of what is captured, for the start-up line and errors.</summary>
    public static string Describe(CaptureSettings capture) => capture.Backend switch
    {
        CaptureBackendKind.Nfqueue => $"NFQUEUE queue {capture.QueueNumber}{(capture.ManageRules ? " (rules managed)" : string.Empty)}{(capture.StripOption ? ", stripping TOA" : string.Empty)}",
        CaptureBackendKind.None => "nothing (capture disabled)",
        _ => $"interface {capture.Interface}",
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Capture:TrustedSources is empty: TOA is accepted from any source, so any client can claim any address. List your load balancers' addresses.")]
    private partial void LogTrustsEveryone();
}
