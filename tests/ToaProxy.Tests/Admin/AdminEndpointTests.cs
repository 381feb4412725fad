using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using ToaProxy.Admin;
using ToaProxy.Testing;

namespace ToaProxy.Tests.Admin;

/// <summary>The admin API of the published toaproxy: health, readiness, counters, flows, metrics, text formats.</summary>
public sealed class AdminEndpointTests
{
    [Fact]
    public async Task Healthz_and_readyz_answer_200_when_capture_is_off_by_choice_and_the_listener_is_bound()
    {
        using AdminProxy proxy = AdminProxy.Start();

        using HttpResponseMessage health = await proxy.Http.GetAsync("healthz");
        using HttpResponseMessage ready = await proxy.Http.GetAsync("readyz");

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        ReadinessReport report = JsonSerializer.Deserialize<ReadinessReport>(await ready.Content.ReadAsStringAsync(), AdminJson.Options)!;
        Assert.True(report.Ready);
        Assert.Empty(report.Reasons);
    }

    [Fact]
    public async Task Stats_counters_move_after_relayed_connections()
    {
        using AdminProxy proxy = AdminProxy.Start();
        StatsReport before = proxy.Stats();

        await proxy.RelayConnectionsAsync(3);
        StatsReport after = proxy.Stats();

        Assert.Equal(0, before.Listeners[0].Counters["accepted"]);
        ListenerReport listener = Assert.Single(after.Listeners);
        Assert.Equal("test", listener.Name);
        Assert.True(listener.Bound);
        Assert.Equal(3, listener.Counters["accepted"]);
        Assert.Equal(0, listener.Counters["active"]);
        Assert.Equal(3, listener.Counters["without_toa_peer"]);
        Assert.Equal(3 * 4, listener.Counters["bytes_from_client"]);
        Assert.Equal(3 * 5, listener.Counters["bytes_from_upstream"]);
        Assert.Equal("none", after.Capture.Backend);
        Assert.Equal(3, after.Capture.Counters["resolved_unknown"]);
        Assert.Null(after.Capture.BackendStatistics);
    }

    [Fact]
    public async Task Metrics_expose_the_counters_gauges_and_latency_histograms_after_traffic()
    {
        using AdminProxy proxy = AdminProxy.Start();
        await proxy.RelayConnectionsAsync(3);

        string metrics = await proxy.GetStringAsync("metrics");

        Assert.Equal(3, Sample(metrics, "toaproxy_connections_accepted{listener=\"test\"}"));
        Assert.Equal(0, Sample(metrics, "toaproxy_connections_active{listener=\"test\"}"));
        Assert.Equal(12, Sample(metrics, "toaproxy_relayed_bytes{direction=\"from_client\",listener=\"test\"}"));
        Assert.Equal(15, Sample(metrics, "toaproxy_relayed_bytes{direction=\"from_upstream\",listener=\"test\"}"));
        Assert.Equal(3, Sample(metrics, "toaproxy_upstream_connect_seconds_count{listener=\"test\"}"));
        Assert.Equal(3, Sample(metrics, "toaproxy_upstream_connect_seconds_bucket{listener=\"test\",le=\"+Inf\"}"));
        Assert.Equal(3, Sample(metrics, "toaproxy_toa_wait_seconds_count{listener=\"test\",resolution=\"unknown\"}"));
        Assert.Equal(3, Sample(metrics, "toaproxy_listener_events{event=\"without_toa_peer\",listener=\"test\"}"));
        Assert.Equal(3, Sample(metrics, "toaproxy_capture_events{event=\"resolved_unknown\"}"));
        Assert.Equal(0, Sample(metrics, "toaproxy_capture_kernel_drops"));
        Assert.Equal(1, Sample(metrics, "toaproxy_ready"));
    }

    [SkippableFact]
    public async Task Flows_pages_through_the_live_table_with_the_cursor()
    {
        Requires.Root();
        using AdminProxy proxy = AdminProxy.Start(backend: "afpacket");
        int[] clientPorts = await proxy.RelayConnectionsAsync(5);

        var peers = new List<string>();
        int? cursor = 0;
        int pages = 0;
        while (cursor is int at)
        {
            FlowPage page = JsonSerializer.Deserialize<FlowPage>(await proxy.GetStringAsync($"flows?limit=2&cursor={at}"), AdminJson.Options)!;
            Assert.True(page.Flows.Count <= 2);
            peers.AddRange(page.Flows.Select(f => f.Peer));
            Assert.All(page.Flows, f => Assert.Equal($"127.0.0.1:{proxy.ListenPort}", f.Local));
            Assert.All(page.Flows, f => Assert.Equal("taken", f.State));
            cursor = page.NextCursor;
            pages++;
        }

        Assert.Equal(clientPorts.Select(p => $"127.0.0.1:{p}").Order(), peers.Order());
        Assert.True(pages >= 3, $"{pages} pages");
    }

    [SkippableFact]
    public async Task Text_formats_are_aligned_columns()
    {
        Requires.Root();
        using AdminProxy proxy = AdminProxy.Start(backend: "afpacket");
        await proxy.RelayConnectionsAsync(3);

        string stats = await proxy.GetStringAsync("stats?format=text");
        string flows = await proxy.GetStringAsync("flows?format=text");

        // Each table is a block between blank lines whose last column is right-aligned numbers: equal lengths.
        string[] blocks = stats.Split("\n\n");
        Assert.Equal(4, blocks.Length);
        Assert.StartsWith("capture: afpacket, running,", blocks[0]);
        foreach (string block in new[] { blocks[1], blocks[3] })
        {
            string[] lines = block.TrimEnd('\n').Split('\n');
            Assert.Single(lines.Select(l => l.Length).Distinct());
        }

        Assert.Matches(@"(?m)^accepted\s+3$", blocks[3]);

        string[] rows = flows.TrimEnd('\n').Split('\n');
        Assert.Equal("# 3 of 3 flows; end of table", rows[^1]);
        string[] table = rows[..^1];
        Assert.Equal(4, table.Length);
        // Column starts are where the header's words start; every row has a cell starting there too.
        int[] starts = [.. Regex.Matches(table[0], @"\S+").Select(m => m.Index)];
        Assert.Equal(8, starts.Length);
        foreach (string row in table[1..])
        {
            Assert.All(starts[..3], s => Assert.True(s == 0 || row[s - 1] == ' ' && row[s] != ' ', $"column at {s} in \"{row}\""));
            Assert.EndsWith("taken", row);
        }
    }

    [Fact]
    public async Task A_bad_limit_is_a_400_naming_the_bound()
    {
        using AdminProxy proxy = AdminProxy.Start();

        using HttpResponseMessage response = await proxy.Http.GetAsync("flows?limit=5000");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("from 1 to 1000", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_status_page_is_self_contained()
    {
        using AdminProxy proxy = AdminProxy.Start();

        string page = await proxy.GetStringAsync("");

        Assert.Contains("<title>toaproxy status</title>", page);
        Assert.DoesNotMatch(@"(src|href)=""(https?:)?//", page);
    }

    /// <summary>The value of one Prometheus sample line "name{labels} value".</summary>
    private static double Sample(string exposition, string series)
    {
        string? line = exposition.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        Assert.True(line is not null, $"no sample {series} in:\n{exposition}");
        return double.Parse(line[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }
}
