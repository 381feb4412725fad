using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using ToaProxy.Admin;
using ToaProxy.Capture.Emulation;
using ToaProxy.Testing;
using ToaProxy.Tests.Admin;

namespace ToaProxy.Tests.EndToEnd;

/// <summary>
/// Config reload on a running proxy, from a file edit or SIGHUP: listeners added, retired and pointed
/// at another upstream, and trusted sources changed, with live connections relaying throughout;
/// a bad file rejected with its key named and the running configuration kept.
/// </summary>
public sealed class ConfigReloadTests
{
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(15);

    private static JsonObject Listener(string name, int port, string upstream) => new()
    {
        ["Name"] = name,
        ["Listen"] = $"127.0.0.1:{port}",
        ["Upstream"] = upstream,
        ["ToaWait"] = "2s",
    };

    private static JsonObject Section(AdminProxy proxy) => JsonNode.Parse(File.ReadAllText(proxy.Process.ConfigPath))!["ToaProxy"]!.AsObject();

    private static ReloadReport WaitForReloads(AdminProxy proxy, int applied, int rejected)
    {
        ReloadReport? report = null;
        Assert.True(
            Poll.Until(() => (report = proxy.Stats().Reload) is { } r && r.Applied == applied && r.Rejected == rejected, Step),
            $"reload report {report}\n{proxy.Process.Describe()}");
        return report!;
    }

    [Fact]
    public async Task Editing_the_file_adds_retires_and_repoints_listeners_while_live_connections_keep_relaying()
    {
        using var otherUpstream = new ScriptedUpstream();
        int retiredPort = FreePort.Allocate();
        using AdminProxy proxy = AdminProxy.Start(section: s =>
            ((JsonArray)s["Listeners"]!).Add(Listener("old", retiredPort, s["Listeners"]![0]!["Upstream"]!.GetValue<string>())));
        JsonObject section = Section(proxy);

        using Socket liveOnKept = await SocketStreams.ConnectLoopbackAsync(proxy.ListenPort, Step);
        using UpstreamConnection liveOnKeptUpstream = await proxy.Upstream.AcceptAsync(Step);
        using Socket liveOnRetired = await SocketStreams.ConnectLoopbackAsync(retiredPort, Step);
        using UpstreamConnection liveOnRetiredUpstream = await proxy.Upstream.AcceptAsync(Step);

        // "test" now relays to the other upstream, "old" goes, "new" comes.
        int addedPort = FreePort.Allocate();
        section["Listeners"] = new JsonArray(section["Listeners"]![0]!.DeepClone(), Listener("new", addedPort, $"127.0.0.1:{otherUpstream.Port}"));
        section["Listeners"]![0]!["Upstream"] = $"127.0.0.1:{otherUpstream.Port}";
        proxy.Process.RewriteConfig(section);
        WaitForReloads(proxy, applied: 1, rejected: 0);

        await SocketStreams.PingPongAsync(liveOnKept, liveOnKeptUpstream.Socket, Step);
        await SocketStreams.PingPongAsync(liveOnRetired, liveOnRetiredUpstream.Socket, Step);
        foreach (int port in (int[])[proxy.ListenPort, addedPort])
        {
            using Socket fresh = await SocketStreams.ConnectLoopbackAsync(port, Step);
            using UpstreamConnection freshUpstream = await otherUpstream.AcceptAsync(Step);
            await SocketStreams.PingPongAsync(fresh, freshUpstream.Socket, Step);
        }

        await Assert.ThrowsAnyAsync<SocketException>(() => SocketStreams.ConnectLoopbackAsync(retiredPort, Step));
        StatsReport stats = proxy.Stats();
        Assert.Equal(["test", "new"], stats.Listeners.Select(l => l.Name));
        Assert.Equal($"127.0.0.1:{otherUpstream.Port}", stats.Listeners[0].Upstream);
        Assert.NotNull(proxy.Process.Process.WaitForOutputLine(l => l.Contains("Listener old on", StringComparison.Ordinal) && l.Contains("removed by a reload", StringComparison.Ordinal), Step));
    }

    [Fact]
    public async Task A_bad_or_restart_only_change_is_rejected_naming_the_key_and_the_running_configuration_stays_also_on_sighup()
    {
        using AdminProxy proxy = AdminProxy.Start();
        using Socket live = await SocketStreams.ConnectLoopbackAsync(proxy.ListenPort, Step);
        using UpstreamConnection liveUpstream = await proxy.Upstream.AcceptAsync(Step);
        JsonObject good = Section(proxy);
        JsonObject bad = good.DeepClone().AsObject();
        bad["Listeners"]![0]!["Upstream"] = "127.0.0.1";
        bad["Capture"]!["TrustedSource"] = new JsonArray("10.0.0.0/8");
        JsonObject restartOnly = good.DeepClone().AsObject();
        restartOnly["Capture"]!["MaxFlows"] = 1024;

        proxy.Process.RewriteConfig(bad);
        ReloadReport report = WaitForReloads(proxy, applied: 0, rejected: 1);
        Assert.Equal("rejected", report.LastResult);
        Assert.Equal(2, report.LastErrors.Count);
        Assert.StartsWith("ToaProxy:Capture:TrustedSource: unknown key", report.LastErrors[0], StringComparison.Ordinal);
        Assert.Equal("ToaProxy:Listeners:0:Upstream: \"127.0.0.1\" has no port", report.LastErrors[1]);
        Assert.NotNull(proxy.Process.Process.WaitForOutputLine(l => l.Contains("Config reload (file)", StringComparison.Ordinal) && l.Contains("rejected", StringComparison.Ordinal), Step));

        proxy.Process.RewriteConfig(restartOnly);
        report = WaitForReloads(proxy, applied: 0, rejected: 2);
        Assert.StartsWith("ToaProxy:Capture:MaxFlows: \"1024\" differs from the running \"262144\"", Assert.Single(report.LastErrors));

        proxy.Process.Process.Hangup();
        report = WaitForReloads(proxy, applied: 0, rejected: 3);
        Assert.Equal("SIGHUP", report.LastTrigger);
        Assert.False(proxy.Process.Process.HasExited, "SIGHUP ended the process");

        // The running configuration was kept: old and new connections still relay to the old upstream.
        await SocketStreams.PingPongAsync(live, liveUpstream.Socket, Step);
        using (Socket fresh = await SocketStreams.ConnectLoopbackAsync(proxy.ListenPort, Step))
        using (UpstreamConnection freshUpstream = await proxy.Upstream.AcceptAsync(Step))
        {
            await SocketStreams.PingPongAsync(fresh, freshUpstream.Socket, Step);
        }

        proxy.Process.RewriteConfig(good);
        report = WaitForReloads(proxy, applied: 1, rejected: 3);
        Assert.Equal("applied", report.LastResult);
        Assert.Empty(report.LastErrors);
        string[] metrics = (await proxy.GetStringAsync("metrics")).Split('\n');
        Assert.Contains("toaproxy_config_reloads{result=\"applied\"} 1", metrics);
        Assert.Contains("toaproxy_config_reloads{result=\"rejected\"} 3", metrics);
    }

    [Fact]
    public void An_http_listener_takes_a_new_toa_wait_live_but_a_new_upstream_only_at_restart()
    {
        using AdminProxy proxy = AdminProxy.Start(listener: l =>
        {
            l["Protocol"] = "http";
            l["ToaWait"] = "2s";
        });
        JsonObject waitChanged = Section(proxy);
        waitChanged["Listeners"]![0]!["ToaWait"] = "500ms";
        JsonObject upstreamChanged = waitChanged.DeepClone().AsObject();
        upstreamChanged["Listeners"]![0]!["Upstream"] = $"127.0.0.1:{FreePort.Allocate()}";

        proxy.Process.RewriteConfig(waitChanged);
        WaitForReloads(proxy, applied: 1, rejected: 0);
        proxy.Process.RewriteConfig(upstreamChanged);
        ReloadReport report = WaitForReloads(proxy, applied: 1, rejected: 1);

        Assert.Equal(
            "ToaProxy:Listeners:0: an http listener's Upstream, ConnectTimeout, IdleTimeout, MaxConnections and Http section take a restart",
            Assert.Single(report.LastErrors));
    }

    [Fact]
    public async Task A_new_listen_address_that_cannot_be_bound_rejects_the_whole_reload()
    {
        using var squatter = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        squatter.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        squatter.Listen();
        int takenPort = ((IPEndPoint)squatter.LocalEndPoint!).Port;
        using var otherUpstream = new ScriptedUpstream();
        using AdminProxy proxy = AdminProxy.Start();

        // Both changes or neither: the upstream change must not apply when the new listener cannot bind.
        JsonObject section = Section(proxy);
        section["Listeners"]![0]!["Upstream"] = $"127.0.0.1:{otherUpstream.Port}";
        ((JsonArray)section["Listeners"]!).Add(Listener("squatted", takenPort, $"127.0.0.1:{otherUpstream.Port}"));
        proxy.Process.RewriteConfig(section);
        ReloadReport report = WaitForReloads(proxy, applied: 0, rejected: 1);

        Assert.StartsWith($"ToaProxy:Listeners:1:Listen: Listener \"squatted\" cannot listen on 127.0.0.1:{takenPort}", Assert.Single(report.LastErrors));
        using Socket client = await SocketStreams.ConnectLoopbackAsync(proxy.ListenPort, Step);
        using UpstreamConnection upstream = await proxy.Upstream.AcceptAsync(Step);
        await SocketStreams.PingPongAsync(client, upstream.Socket, Step);
        Assert.Equal(["test"], proxy.Stats().Listeners.Select(l => l.Name));
    }

    [SkippableFact]
    public async Task Trusting_the_load_balancer_by_reload_makes_its_toa_count_from_the_next_connection()
    {
        Requires.Root();
        Requires.Command("iptables");
        using AdminProxy proxy = AdminProxy.Start("afpacket", capture: c => c["TrustedSources"] = new JsonArray("192.0.2.0/24"));
        await using var lb = LoadBalancerEmulator.Start(proxy.ListenPort, ToaOptionWriters.Kind200V4(DerivedClient.V4), ToaInjectionPackets.Syn);

        using (Socket untrusted = await SocketStreams.ConnectLoopbackAsync(proxy.ListenPort, Step))
        using (UpstreamConnection upstream = await proxy.Upstream.AcceptAsync(Step))
        {
            Assert.Equal(IPAddress.Loopback, upstream.Header.Source.ToIPAddress());
        }

        JsonObject section = Section(proxy);
        section["Capture"]!["TrustedSources"] = new JsonArray("127.0.0.0/8");
        proxy.Process.RewriteConfig(section);
        WaitForReloads(proxy, applied: 1, rejected: 0);

        using Socket trusted = await SocketStreams.ConnectLoopbackAsync(proxy.ListenPort, Step);
        using UpstreamConnection trustedUpstream = await proxy.Upstream.AcceptAsync(Step);
        int clientPort = ((IPEndPoint)trusted.LocalEndPoint!).Port;
        Assert.Equal(DerivedClient.V4Address(clientPort), trustedUpstream.Header.Source.ToIPAddress());
        Assert.Equal(clientPort, trustedUpstream.Header.SourcePort);
        Assert.Equal(0, proxy.Stats().Capture.Restarts);
    }

    [SkippableFact]
    public async Task A_listener_added_by_reload_on_a_new_port_has_its_toa_captured()
    {
        Requires.Root();
        Requires.Command("iptables");
        using AdminProxy proxy = AdminProxy.Start("afpacket");
        int addedPort = FreePort.Allocate();
        await using var lb = LoadBalancerEmulator.Start(addedPort, ToaOptionWriters.Kind200V4(DerivedClient.V4), ToaInjectionPackets.Syn);

        JsonObject section = Section(proxy);
        ((JsonArray)section["Listeners"]!).Add(Listener("added", addedPort, $"127.0.0.1:{proxy.Upstream.Port}"));
        proxy.Process.RewriteConfig(section);
        WaitForReloads(proxy, applied: 1, rejected: 0);

        // The capture's filter names the listeners' ports: a new port restarts it.
        Assert.Equal(1, proxy.Stats().Capture.Restarts);
        using Socket client = await SocketStreams.ConnectLoopbackAsync(addedPort, Step);
        using UpstreamConnection upstream = await proxy.Upstream.AcceptAsync(Step);
        Assert.Equal(DerivedClient.V4Address(((IPEndPoint)client.LocalEndPoint!).Port), upstream.Header.Source.ToIPAddress());
    }
}
