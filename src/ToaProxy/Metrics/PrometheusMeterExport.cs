using Prometheus;

namespace ToaProxy.Metrics;

/// <summary>
/// Publishes the "ToaProxy" meter into a private Prometheus registry for GET /metrics. A private
/// registry (not prometheus-net's default) keeps the exposition to our own instruments: no
/// process/runtime collectors and no other library's meters.
/// </summary>
public sealed class PrometheusMeterExport : IDisposable
{
    // Connect and TOA-wait latencies: sub-millisecond on loopback, up to the timeouts (seconds).
    private static readonly double[] LatencyBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly IDisposable _adapter;

    public PrometheusMeterExport()
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        _adapter = MeterAdapter.StartListening(new MeterAdapterOptions
        {
            Registry = Registry,
            // Without its own factory the adapter publishes into the default registry, whatever Registry says.
            MetricFactory = Prometheus.Metrics.WithCustomRegistry(Registry),
            // Our label sets are bounded (listener × status), so series need not expire soon; the default
            // (5 min) would drop a quiet listener's latency histogram. One day is the library's maximum.
            MetricsExpireAfter = TimeSpan.FromDays(1),
            InstrumentFilterPredicate = instrument => instrument.Meter.Name == ToaProxyMetrics.MeterName,
            ResolveHistogramBuckets = _ => LatencyBuckets,
        });
    }

    public CollectorRegistry Registry { get; }

    public void Dispose() => _adapter.Dispose();
}
