using System.Diagnostics;
using System.Diagnostics.Metrics;
using ToaProxy.Capture.Flows;
using ToaProxy.Metrics;

namespace ToaProxy.Tests.Admin;

/// <summary>The relay's per-connection recording: the right instruments and tags, and no allocation of its own.</summary>
public sealed class ToaProxyMetricsTests
{
    [Fact]
    public void Recording_the_two_latencies_allocates_nothing_and_tags_listener_and_resolution()
    {
        using var metrics = new ToaProxyMetrics(() => throw new InvalidOperationException("no status in this test"));
        var seen = new List<(string Instrument, double Value, string Tags)>();
        bool recordTags = true;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == ToaProxyMetrics.MeterName && instrument is Histogram<double>)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            if (recordTags)
            {
                seen.Add((instrument.Name, value, string.Join(",", tags.ToArray().Select(t => $"{t.Key}={t.Value}"))));
            }
        });
        listener.Start();
        var resolution = new FlowResolution(FlowResolutionStatus.NoToa, default, TimeSpan.FromMilliseconds(3));
        long start = Stopwatch.GetTimestamp();

        metrics.RecordToaWait(resolution, "web");
        metrics.RecordUpstreamConnect(start, "web");
        recordTags = false;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            metrics.RecordToaWait(resolution, "web");
            metrics.RecordUpstreamConnect(start, "web");
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(("toa_wait_seconds", 0.003, "listener=web,resolution=no_toa"), seen[0]);
        Assert.Equal("upstream_connect_seconds", seen[1].Instrument);
        Assert.Equal("listener=web", seen[1].Tags);
    }
}
