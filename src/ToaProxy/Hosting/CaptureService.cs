using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ToaProxy.Capture;
using ToaProxy.Capture.Flows;
using ToaProxy.Configuration;

namespace ToaProxy.Hosting;

/// <summary>
/// Runs the configured capture backend into the flow table, and sweeps expired flows. Started
/// before the listeners so no accepted connection's handshake is missed; stopped after them.
/// A backend that fails at runtime is reported (readiness turns false), its untaken records are
/// dropped so no connection can inherit one, and it is restarted with backoff; an operator can
/// restart it at once (POST /capture/restart). A config reload swaps the trusted sources in place and
/// restarts the backend when the listeners' ports change.
/// </summary>
public sealed partial class CaptureService : IHostedService, IAsyncDisposable
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan SupervisePeriod = TimeSpan.FromMilliseconds(200);

    private readonly FlowTable _flows;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;

    // Serialises start, stop, restart and reload; the supervisor only tries it, never waits.
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile ProxySettings _settings;
    private volatile ICaptureBackend? _backend;
    private volatile Exception? _lastError;
    private volatile bool _stopping;
    private HandshakeObserver? _observer;
    private Timer? _sweep;
    private Timer? _supervisor;
    private bool _failureReported;
    private TimeSpan _retryDelay = FirstRetryDelay;
    private long _nextRetryAt;
    private long _restarts;

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

    /// <summary>Why the capture is not running: the backend's runtime fault, or the last failed restart.</summary>
    public Exception? Fault => _backend?.Fault ?? _lastError;

    /// <summary>Successful restarts since start (automatic, requested, or for new listener ports).</summary>
    public long Restarts => Interlocked.Read(ref _restarts);

    public ushort[] Ports => PortsOf(_settings);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        CaptureSettings capture = _settings.Capture;
        if (capture.TrustedSources.TrustsEveryone && capture.Backend != CaptureBackendKind.None)
        {
            LogTrustsEveryone();
        }

        if (capture.Backend != CaptureBackendKind.None)
        {
            await StartBackendLockedAsync(cancellationToken).ConfigureAwait(false);
            _supervisor = new Timer(_ => Supervise(), null, SupervisePeriod, SupervisePeriod);
        }

        TimeSpan period = TimeSpan.FromMilliseconds(Math.Clamp(capture.FlowTimeout.TotalMilliseconds / 10, 100, 1000));
        _sweep = new Timer(_ => _flows.Sweep(), null, period, period);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        if (_supervisor is not null)
        {
            await _supervisor.DisposeAsync().ConfigureAwait(false);
            _supervisor = null;
        }

        if (_sweep is not null)
        {
            await _sweep.DisposeAsync().ConfigureAwait(false);
            _sweep = null;
        }

        // A restart in progress is bounded by the backend's own start; wait for it rather than race it.
        await _gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            await StopBackendLockedAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    /// <summary>Stops the backend (healthy or not) and starts a new one; null on success, else why it failed (retried with backoff).</summary>
    public async Task<Exception?> RestartAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await RestartLockedAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Applies a reloaded configuration: new trusted sources and option table take effect on the next
    /// packet; a changed set of listener ports restarts the backend with the new filter. Returns the
    /// restart's failure, if any (the capture is then retried with backoff, the rest of the reload stands).
    /// </summary>
    public async Task<Exception?> ApplyAsync(ProxySettings next, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            bool portsChanged = !PortsOf(_settings).AsSpan().SequenceEqual(PortsOf(next));
            _settings = next;
            if (next.Capture.Backend == CaptureBackendKind.None || _stopping)
            {
                return null;
            }

            if (portsChanged || _observer is null)
            {
                return await RestartLockedAsync(cancellationToken).ConfigureAwait(false);
            }

            _observer.Reconfigure(next.Capture.OptionTable, next.Capture.TrustedSources);
            return null;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Human description of what is captured, for the start-up line and errors.</summary>
    public static string Describe(CaptureSettings capture) => capture.Backend switch
    {
        CaptureBackendKind.Nfqueue => $"NFQUEUE queue {capture.QueueNumber}{(capture.ManageRules ? " (rules managed)" : string.Empty)}{(capture.StripOption ? ", stripping TOA" : string.Empty)}",
        CaptureBackendKind.None => "nothing (capture disabled)",
        _ => $"interface {capture.Interface}",
    };

    private static ushort[] PortsOf(ProxySettings settings) =>
        [.. settings.Listeners.Select(l => (ushort)l.Listen.Port).Distinct().Order()];

    private string BackendName => _settings.Capture.Backend.ToString().ToLowerInvariant();

    private void Supervise()
    {
        if (_stopping || IsHealthy || !_gate.Wait(0))
        {
            return;
        }

        _ = SuperviseLockedAsync();
    }

    private async Task SuperviseLockedAsync()
    {
        try
        {
            if (_stopping || IsHealthy)
            {
                return;
            }

            if (!_failureReported)
            {
                _failureReported = true;
                _flows.DrainBarrier = null;
                int forgotten = _flows.ForgetUntaken();
                _nextRetryAt = Environment.TickCount64 + (long)_retryDelay.TotalMilliseconds;
                LogCaptureFailed(BackendName, _retryDelay.TotalSeconds, forgotten, Fault?.Message ?? "stopped without an error");
                return;
            }

            if (Environment.TickCount64 >= _nextRetryAt)
            {
                await RestartLockedAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            // The timer must survive anything a restart throws; the next tick tries again.
            LogSupervisionFailed(e);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<Exception?> RestartLockedAsync(CancellationToken cancellationToken)
    {
        CaptureSettings capture = _settings.Capture;
        if (capture.Backend == CaptureBackendKind.None)
        {
            return new InvalidOperationException("Capture:Backend is none: there is no capture to restart");
        }

        try
        {
            await StopBackendLockedAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The old backend is disposed either way; a failed stop must not keep a new one from starting.
            LogStopFailed(e);
        }

        // While nothing watched, a reused 4-tuple's SYN could not replace an earlier record.
        _flows.ForgetUntaken();
        try
        {
            await StartBackendLockedAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _lastError = e;
            _failureReported = true;
            _retryDelay = TimeSpan.FromTicks(Math.Min(_retryDelay.Ticks * 2, MaxRetryDelay.Ticks));
            _nextRetryAt = Environment.TickCount64 + (long)_retryDelay.TotalMilliseconds;
            LogRestartFailed(_retryDelay.TotalSeconds, e.Message);
            return e;
        }

        _lastError = null;
        _failureReported = false;
        _retryDelay = FirstRetryDelay;
        Interlocked.Increment(ref _restarts);
        LogRestarted(BackendName, Describe(capture), string.Join(",", Ports));
        return null;
    }

    private async Task StartBackendLockedAsync(CancellationToken cancellationToken)
    {
        CaptureSettings capture = _settings.Capture;
        ushort[] ports = Ports;
        var observer = new HandshakeObserver(
            _flows, capture.OptionTable, capture.TrustedSources, ports, capture.StripOption, _loggerFactory.CreateLogger<HandshakeObserver>());
        ICaptureBackend backend = CaptureBackendFactory.Create(capture, ports, _loggerFactory);
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

        _observer = observer;
        _backend = backend;
        _flows.DrainBarrier = backend.WaitForDrainAsync;
    }

    private async Task StopBackendLockedAsync(CancellationToken cancellationToken)
    {
        _flows.DrainBarrier = null;
        ICaptureBackend? backend = _backend;
        _backend = null;
        _observer = null;
        if (backend is null)
        {
            return;
        }

        if (backend.Fault is not null)
        {
            _lastError = backend.Fault;
        }

        try
        {
            await backend.StopAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await backend.DisposeAsync().ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Capture:TrustedSources is empty: TOA is accepted from any source, so any client can claim any address. List your load balancers' addresses.")]
    private partial void LogTrustsEveryone();

    [LoggerMessage(Level = LogLevel.Error, Message = "Capture {Backend} stopped, restarting in {Seconds}s; until it is back readiness is false, live connections go on and new connections follow WithoutToa ({Forgotten} untaken records dropped). Cause: {Error}")]
    private partial void LogCaptureFailed(string backend, double seconds, int forgotten, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Capture restart failed, next attempt in {Seconds}s: {Error}")]
    private partial void LogRestartFailed(double seconds, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Capture {Backend} restarted on {Capture}, ports {Ports}")]
    private partial void LogRestarted(string backend, string capture, string ports);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopping the capture backend for a restart failed; starting a new one anyway")]
    private partial void LogStopFailed(Exception e);

    [LoggerMessage(Level = LogLevel.Error, Message = "Capture supervision failed; retrying on the next tick")]
    private partial void LogSupervisionFailed(Exception e);
}
