using ToaProxy.Admin;
using ToaProxy.Capture;
using ToaProxy.Capture.Flows;
using ToaProxy.Configuration;
using ToaProxy.Relay;

namespace ToaProxy.Hosting;

/// <summary>
/// The running proxy's state as the admin API and the metrics exporter read it: counters of the
/// capture and of every listener, and readiness. Reads only; never blocks the capture or the relay
/// beyond the flow table's count.
/// </summary>
public sealed class ProxyStatus
{
    private readonly ReloadStatus? _reload;
    private readonly FlowTable _flows;
    private readonly CaptureService _capture;
    private readonly RelayService _relay;

    public ProxyStatus(FlowTable flows, CaptureService capture, RelayService relay, ReloadStatus? reload = null)
    {
        _reload = reload;
        _flows = flows;
        _capture = capture;
        _relay = relay;
    }

    public CaptureCounters CaptureCounters => _flows.Counters;

    public int FlowCount => _flows.Count;

    /// <summary>Successful capture restarts since start.</summary>
    public long CaptureRestarts => _capture.Restarts;

    /// <summary>The config reloads' outcome; null when reloading is not wired (a status built by hand).</summary>
    public ReloadReport? Reload => _reload?.Report();

    /// <summary>The backend's own statistics; null when no backend runs (none configured, or stopped).</summary>
    public CaptureStatistics? BackendStatistics => _capture.Backend?.ReadStatistics();

    /// <summary>Counters of the listeners that have started, by name.</summary>
    public IEnumerable<(string Name, ListenerCounters Counters)> ListenerCounters =>
        _relay.Listeners.Select(l => (l.Settings.Name, l.Counters));

    public ReadinessReport Readiness()
    {
        IReadOnlyList<ProxyListener> started = _relay.Listeners;
        (string, bool)[] listeners =
        [
            .. _relay.Settings.Listeners.Select(configured =>
                (configured.Name, started.Any(l => l.Settings.Name == configured.Name && l.IsBound))),
        ];
        return ReadinessReport.Evaluate(_capture.IsHealthy, BackendName, _capture.Fault, listeners);
    }

    public StatsReport Stats()
    {
        CaptureStatistics? backend = BackendStatistics;
        var capture = new CaptureReport(
            BackendName,
            _capture.Backend?.IsRunning == true,
            _capture.Fault?.Message,
            FlowCount,
            ToDictionary(CaptureCounters.Snapshot()),
            backend is CaptureStatistics s
                ? new Dictionary<string, long> { ["frames"] = s.FramesReceived, ["kernel_drops"] = s.KernelDrops, ["read_errors"] = s.ReadErrors }
                : null,
            _capture.Restarts);
        ListenerReport[] listeners =
        [
            .. _relay.Settings.Listeners.Select(configured =>
            {
                ProxyListener? listener = _relay.Listeners.FirstOrDefault(l => l.Settings.Name == configured.Name);
                return new ListenerReport(
                    configured.Name,
                    configured.Listen.ToString(),
                    configured.Upstream.ToString(),
                    listener?.IsBound == true,
                    ToDictionary(listener?.Counters.Snapshot() ?? new ListenerCounters().Snapshot()));
            }),
        ];
        return new StatsReport(capture, listeners, Reload);
    }

    private string BackendName => _relay.Settings.Capture.Backend.ToString().ToLowerInvariant();

    private static Dictionary<string, long> ToDictionary(IReadOnlyList<KeyValuePair<string, long>> counters) =>
        counters.ToDictionary(c => c.Key, c => c.Value);
}
