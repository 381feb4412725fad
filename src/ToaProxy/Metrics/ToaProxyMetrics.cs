using System.Diagnostics;
using System.Diagnostics.Metrics;
using ToaProxy.Admin;
using ToaProxy.Capture.Flows;
using ToaProxy.Hosting;
using ToaProxy.Relay;

namespace ToaProxy.Metrics;

/// <summary>
/// The proxy's System.Diagnostics.Metrics instruments, all on the meter "ToaProxy" (exported as
/// toaproxy_&lt;instrument&gt;, so instrument names are written the Prometheus way). The relay
/// records the two latency histograms per connection; every counter is an observable instrument
/// read from the existing Interlocked counters only when an exporter collects, so the hot path
/// pays nothing for them.
/// </summary>
public sealed class ToaProxyMetrics : IDisposable
{
    public const string MeterName = "ToaProxy";

    // Indexed by FlowResolutionStatus so recording a TOA wait never formats an enum.
    private static readonly string[] ResolutionTags = ["found", "no_toa", "unknown"];

    private readonly Meter _meter = new(MeterName);
    private readonly Histogram<double> _connectDuration;
    private readonly Histogram<double> _toaWait;

    /// <param name="status">Resolved at collection time: the status depends on the relay, which depends on these metrics.</param>
    public ToaProxyMetrics(Func<ProxyStatus> status)
    {
        _connectDuration = _meter.CreateHistogram<double>(
            "upstream_connect_seconds", "s", "Time to open the TCP connection to the upstream.");
        _toaWait = _meter.CreateHistogram<double>(
            "toa_wait_seconds", "s", "Time an accepted connection waited for the flow table's answer.");

        _meter.CreateObservableGauge("connections_active", () => ListenerValues(status(), c => Interlocked.Read(ref c.Active)), "{connection}", "Relayed connections open now.");
        _meter.CreateObservableCounter("connections_accepted", () => ListenerValues(status(), c => Interlocked.Read(ref c.Accepted)), "{connection}", "Connections accepted.");
        _meter.CreateObservableCounter("relayed_bytes", () => RelayedBytes(status()), "By", "Bytes relayed, by direction.");
        _meter.CreateObservableCounter("listener_events", () => ListenerEvents(status()), "{event}", "Every per-listener counter of /stats, by name.");
        _meter.CreateObservableCounter("capture_events", () => CaptureEvents(status()), "{event}", "Every capture and flow-table counter of /stats, by name.");
        _meter.CreateObservableCounter("capture_frames", () => status().BackendStatistics?.FramesReceived ?? 0, "{frame}", "Frames the capture backend read.");
        _meter.CreateObservableCounter("capture_kernel_drops", () => status().BackendStatistics?.KernelDrops ?? 0, "{frame}", "Frames the kernel dropped because the capture fell behind.");
        _meter.CreateObservableCounter("capture_read_errors", () => status().BackendStatistics?.ReadErrors ?? 0, "{error}", "Receive errors the capture survived.");
        _meter.CreateObservableCounter("capture_restarts", () => status().CaptureRestarts, "{restart}", "Successful capture restarts: after a fault, on request, or for new listener ports.");
        _meter.CreateObservableCounter("config_reloads", () => ConfigReloads(status()), "{reload}", "Config reloads, by result (applied, rejected).");
        _meter.CreateObservableGauge("flows", () => status().FlowCount, "{flow}", "Records in the flow table.");
        _meter.CreateObservableGauge("ready", () => status().Readiness().Ready ? 1 : 0, null, "1 when capture runs and every listener is bound.");
    }

    /// <summary>Records the upstream connect time from a Stopwatch timestamp; allocation-free.</summary>
    public void RecordUpstreamConnect(long startTimestamp, string listener) =>
        _connectDuration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, new KeyValuePair<string, object?>("listener", listener));

    /// <summary>Records how long the flow table took to answer; allocation-free.</summary>
    public void RecordToaWait(in FlowResolution resolution, string listener) =>
        _toaWait.Record(
            resolution.Waited.TotalSeconds,
            new KeyValuePair<string, object?>("listener", listener),
            new KeyValuePair<string, object?>("resolution", ResolutionTags[(int)resolution.Status]));

    public void Dispose() => _meter.Dispose();

    private static IEnumerable<Measurement<long>> ListenerValues(ProxyStatus status, Func<ListenerCounters, long> read)
    {
        foreach ((string name, ListenerCounters counters) in status.ListenerCounters)
        {
            yield return new Measurement<long>(read(counters), new KeyValuePair<string, object?>("listener", name));
        }
    }

    private static IEnumerable<Measurement<long>> RelayedBytes(ProxyStatus status)
    {
        foreach ((string name, ListenerCounters counters) in status.ListenerCounters)
        {
            yield return new Measurement<long>(Interlocked.Read(ref counters.BytesFromClient),
                new KeyValuePair<string, object?>("listener", name), new KeyValuePair<string, object?>("direction", "from_client"));
            yield return new Measurement<long>(Interlocked.Read(ref counters.BytesFromUpstream),
                new KeyValuePair<string, object?>("listener", name), new KeyValuePair<string, object?>("direction", "from_upstream"));
        }
    }

    private static IEnumerable<Measurement<long>> ListenerEvents(ProxyStatus status)
    {
        foreach ((string name, ListenerCounters counters) in status.ListenerCounters)
        {
            foreach ((string counter, long value) in counters.Snapshot())
            {
                yield return new Measurement<long>(value,
                    new KeyValuePair<string, object?>("listener", name), new KeyValuePair<string, object?>("event", counter));
            }
        }
    }

    private static IEnumerable<Measurement<long>> ConfigReloads(ProxyStatus status)
    {
        ReloadReport? reload = status.Reload;
        yield return new Measurement<long>(reload?.Applied ?? 0, new KeyValuePair<string, object?>("result", "applied"));
        yield return new Measurement<long>(reload?.Rejected ?? 0, new KeyValuePair<string, object?>("result", "rejected"));
    }

    private static IEnumerable<Measurement<long>> CaptureEvents(ProxyStatus status)
    {
        foreach ((string counter, long value) in status.CaptureCounters.Snapshot())
        {
            yield return new Measurement<long>(value, new KeyValuePair<string, object?>("event", counter));
        }
    }
}
