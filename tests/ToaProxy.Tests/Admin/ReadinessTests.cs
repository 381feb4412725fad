using Microsoft.Extensions.Logging.Abstractions;
using ToaProxy.Admin;
using ToaProxy.Capture.Flows;
using ToaProxy.Configuration;
using ToaProxy.Hosting;
using ToaProxy.Metrics;
using ToaProxy.Relay;
using ToaProxy.Relay.Epoll;

namespace ToaProxy.Tests.Admin;

/// <summary>GET /readyz: 200 only when the capture runs (or is off by choice) and every listener is bound.</summary>
public sealed class ReadinessTests
{
    [Fact]
    public void Ready_when_the_capture_is_healthy_and_every_listener_is_bound()
    {
        ReadinessReport report = ReadinessReport.Evaluate(true, "afpacket", null, [("web", true), ("api", true)]);

        Assert.True(report.Ready);
        Assert.Empty(report.Reasons);
    }

    [Fact]
    public void A_faulted_capture_is_not_ready_and_says_why()
    {
        ReadinessReport report = ReadinessReport.Evaluate(false, "afpacket", new IOException("interface eth1 went away"), [("web", true)]);

        Assert.False(report.Ready);
        Assert.Equal("capture afpacket failed: interface eth1 went away", Assert.Single(report.Reasons));
    }

    [Fact]
    public void Every_unbound_listener_is_a_reason()
    {
        ReadinessReport report = ReadinessReport.Evaluate(true, "none", null, [("web", false), ("api", true), ("ssh", false)]);

        Assert.False(report.Ready);
        Assert.Equal(["listener web is not bound", "listener ssh is not bound"], report.Reasons);
    }

    [Theory]
    [InlineData("afpacket", new[] { "capture afpacket is not running", "listener web is not bound" })]
    [InlineData("none", new[] { "listener web is not bound" })]
    public void A_proxy_that_has_not_started_is_not_ready(string backend, string[] reasons)
    {
        var errors = new List<string>();
        ProxySettings settings = SettingsCompiler.Compile(
            new ToaProxyOptions
            {
                Capture = new CaptureOptions { Backend = backend },
                Listeners = [new ListenerOptions { Name = "web", Listen = "127.0.0.1:8080", Upstream = "127.0.0.1:8081" }],
            },
            errors)!;
        Assert.Empty(errors);
        var flows = new FlowTable(new FlowTableOptions(), new CaptureCounters());
        var capture = new CaptureService(settings, flows, NullLoggerFactory.Instance);
        using var registry = new ConnectionRegistry();
        ProxyStatus? status = null;
        using var metrics = new ToaProxyMetrics(() => status!);
        using var workers = new RelayWorkerPool(NullLoggerFactory.Instance);
        var relay = new RelayService(settings, flows, registry, workers, capture, metrics, NullLoggerFactory.Instance);
        status = new ProxyStatus(flows, capture, relay);

        ReadinessReport report = status.Readiness();

        Assert.False(report.Ready);
        Assert.Equal(reasons, report.Reasons);
    }
}
