using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using ToaProxy.Admin;
using ToaProxy.Testing;
using ToaProxy.Tests.EndToEnd;
using Xunit.Abstractions;

namespace ToaProxy.Tests.Reliability;

/// <summary>
/// A SYN flood with TOA from spoofed sources inside the trusted range (the worst case: an attacker
/// who can spoof the load balancer's SNAT addresses, or no TrustedSources at all) against the
/// published proxy with a small flow table, while legitimate connections come through the emulated
/// load balancer: the table stays at MaxFlows by evicting (and /stats says so), the proxy's memory
/// stays flat, and no legitimate connection is ever given another connection's client.
/// A record lives about MaxFlows / (SYNs per second) before the flood evicts it; a legitimate
/// connection slower than that from SYN to accept would lose its TOA (and fall back to WithoutToa,
/// never to a wrong client), so the table is sized for the flood: 16384 records, 10,000 SYN/s.
/// bench/flood.sh runs the same test longer and unthrottled (TOAPROXY_FLOOD_SECONDS, _PPS,
/// _MAX_FLOWS) and reports the figures.
/// </summary>
public sealed class FloodTests(ITestOutputHelper output)
{
    private const int MaxLegitimateConnections = 20_000;
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(15);

    /// <summary>The flood's length: a count of SYNs (4 × MaxFlows, so the table overflows whatever the
    /// machine's speed) with a time cap; bench/flood.sh gives a duration and no count.</summary>
    private static TimeSpan FloodDuration => TimeSpan.FromSeconds(Setting("TOAPROXY_FLOOD_SECONDS", 20));

    private static long FloodSyns => (long)Setting("TOAPROXY_FLOOD_SYNS", 4 * MaxFlows);

    private static int PacketsPerSecond => (int)Setting("TOAPROXY_FLOOD_PPS", 10_000);

    private static int MaxFlows => (int)Setting("TOAPROXY_FLOOD_MAX_FLOWS", 16_384);

    [SkippableFact]
    public async Task A_syn_flood_with_spoofed_toa_keeps_the_table_bounded_and_every_legitimate_connection_its_own_client()
    {
        Requires.Root();
        Requires.Command("iptables");
        Requires.Command("python3");
        using var topology = FloodTopology.Create();
        using var upstream = new ScriptedUpstream(topology.Proxy.CreateSocket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp), FloodTopology.UpstreamPort);
        JsonObject config = ProxyConfig.Create(
            FloodTopology.ProxyPort,
            FloodTopology.UpstreamPort,
            "afpacket",
            trusted: [$"{FloodTopology.LoadBalancer}/32", FloodTopology.SpoofedSources],
            listenAddress: "0.0.0.0",
            capture: c =>
            {
                c["Interface"] = "any";
                c["MaxFlows"] = MaxFlows;
            });
        using var admin = AdminStatsReader.EnableIn(config, topology.Proxy);
        using var proxy = ToaproxyProcess.StartUnder(topology.Proxy.Launcher, PublishedToaproxy.ExecutablePath, config);
        using var emulator = StartEmulator(topology.LoadBalancerSide);

        // Warm up the relay path before the baseline, so the baseline is the proxy at work, not just started.
        var legitimate = new LegitimateTally();
        await ConnectAsync(topology, upstream, legitimate);
        StatsReport before = admin.Read();
        ProcessFootprint baseline = ProcessFootprint.Read(proxy.Process.Id);

        using var flood = SynFloodSender.Start(topology.AttackerSide, new IPEndPoint(FloodTopology.ProxyOnAttackerLink, FloodTopology.ProxyPort), FloodDuration, FloodSyns, PacketsPerSecond,
            // Tuples repeat after the pool: twice the table, so a repeat always finds its record evicted.
            distinctSyns: Math.Max(32_768, 2 * MaxFlows), FloodTopology.SpoofedSources, seed: 7);
        var peak = new PeakTally();
        using var sampling = new CancellationTokenSource();
        Task sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak.Observe(admin.Read().Capture.Flows, ProcessFootprint.Read(proxy.Process.Id).RssBytes);
                await Task.Delay(200);
            }
        });

        while (!flood.HasExited && legitimate.Clients < MaxLegitimateConnections)
        {
            await ConnectAsync(topology, upstream, legitimate);
        }

        await legitimate.DrainAsync(upstream);

        (long sent, double seconds, long sentPerSecond) = flood.WaitForSummary(FloodDuration + Step);
        sampling.Cancel();
        await sampler;
        StatsReport after = admin.Read();
        ProcessFootprint end = ProcessFootprint.Read(proxy.Process.Id);

        long syns = after.Capture.Counters["syns"] - before.Capture.Counters["syns"];
        long evicted = after.Capture.Counters["evicted"] - before.Capture.Counters["evicted"];
        long replaced = after.Capture.Counters["replaced"] - before.Capture.Counters["replaced"];
        long expired = after.Capture.Counters["expired"] - before.Capture.Counters["expired"];
        long drops = (after.Capture.BackendStatistics?["kernel_drops"] ?? 0) - (before.Capture.BackendStatistics?["kernel_drops"] ?? 0);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"flood: {sent} SYNs in {seconds:F1} s = {sentPerSecond} pps sent; capture saw {syns} SYNs = {syns / seconds:F0}/s, kernel drops {drops}"));
        output.WriteLine($"flow table: max {peak.Flows} of MaxFlows {MaxFlows}; evicted {evicted}, expired {expired}, replaced {replaced}");
        output.WriteLine($"proxy: before {baseline}; peak RSS {peak.RssBytes / (1024 * 1024)} MiB; after {end}");
        output.WriteLine($"legitimate connections during the flood: {legitimate}");

        foreach (string line in legitimate.Wrong.Concat(legitimate.WithoutToa).Take(10))
        {
            output.WriteLine(line);
        }

        Assert.Empty(legitimate.Wrong);
        Assert.True(legitimate.Clients >= 5, $"only {legitimate.Clients} legitimate connections were made during the flood");
        Assert.Equal(legitimate.Clients, legitimate.OwnClient);
        Assert.True(syns > MaxFlows * 2L, $"the capture saw only {syns} SYNs; the flood did not reach the proxy");
        Assert.InRange(peak.Flows, 1, MaxFlows);
        Assert.InRange(after.Capture.Flows, 1, MaxFlows);
        // Every SYN inserts a record (or replaces its tuple's); all but the table's last MaxFlows left it as
        // counted evictions (or expiries), except records the relay had taken, which go first and uncounted.
        Assert.True(evicted > 0, "no eviction was counted");
        Assert.True(
            evicted + expired >= syns - replaced - MaxFlows - (2L * legitimate.Clients),
            $"evicted {evicted} + expired {expired} do not account for {syns} SYNs ({replaced} replaced)");
        Assert.True(peak.RssBytes - baseline.RssBytes < 64L * 1024 * 1024, $"RSS grew from {baseline.RssBytes} to {peak.RssBytes} bytes under the flood");
    }

    private static ExternalProcess StartEmulator(NetworkNamespace netns)
    {
        string[] command = [.. netns.Launcher, PublishedToaproxy.ExecutablePath, "emulate", "--port", FloodTopology.ProxyPort.ToString(CultureInfo.InvariantCulture), "--kind", "200", "--on", "syn"];
        ExternalProcess emulator = ExternalProcess.Start(command[0], command[1..]);
        if (emulator.WaitForOutputLine(l => l.StartsWith("emulate: inserting", StringComparison.Ordinal), Step) is null)
        {
            string description = emulator.Describe();
            emulator.Dispose();
            throw new InvalidOperationException($"toaproxy emulate did not start:\n{description}");
        }

        return emulator;
    }

    /// <summary>One connection from the load balancer's namespace; then the PROXY header of the next upstream
    /// connection (usually this one's; the tally matches headers to clients by port, not by order).</summary>
    private static async Task ConnectAsync(FloodTopology topology, ScriptedUpstream upstream, LegitimateTally tally)
    {
        using Socket client = topology.LoadBalancerSide.CreateSocket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var cts = new CancellationTokenSource(Step);
        await client.ConnectAsync(new IPEndPoint(FloodTopology.ProxyOnLoadBalancerLink, FloodTopology.ProxyPort), cts.Token);
        tally.AddClient(((IPEndPoint)client.LocalEndPoint!).Port);
        await tally.AcceptAsync(upstream, Step);
    }

    private static double Setting(string name, double fallback) =>
        Environment.GetEnvironmentVariable(name) is string text ? double.Parse(text, CultureInfo.InvariantCulture) : fallback;

    /// <summary>
    /// Legitimate clients (by source port) and what the upstream was told. The emulated load balancer
    /// announces 203.0.113.x:port derived from the source port, so a header names the connection it
    /// belongs to: its own client, the TCP peer (no TOA in time), or anything else — a misattribution.
    /// </summary>
    private sealed class LegitimateTally
    {
        private readonly HashSet<int> _clients = [];
        private readonly List<IPEndPoint> _told = [];

        public int Clients => _clients.Count;

        public int OwnClient => _told.Where(IsOwnClient).Select(t => t.Port).Distinct().Count();

        public IEnumerable<string> WithoutToa => _told.Where(t => t.Address.Equals(FloodTopology.LoadBalancer) && _clients.Contains(t.Port)).Select(t => $"client port {t.Port} was relayed without TOA");

        /// <summary>Headers naming neither a client's own TOA client nor its own TCP endpoint.</summary>
        public IEnumerable<string> Wrong => _told
            .Where(t => !IsOwnClient(t) && !(t.Address.Equals(FloodTopology.LoadBalancer) && _clients.Contains(t.Port)))
            .Select(t => $"an upstream connection was told {t}");

        public void AddClient(int port) => _clients.Add(port);

        public async Task AcceptAsync(ScriptedUpstream upstream, TimeSpan timeout)
        {
            using UpstreamConnection conn = await upstream.AcceptAsync(timeout);
            _told.Add(new IPEndPoint(conn.Header.Source.ToIPAddress(), conn.Header.SourcePort));
        }

        /// <summary>Takes the upstream connections still queued (a client whose connect was retried can arrive twice).</summary>
        public async Task DrainAsync(ScriptedUpstream upstream)
        {
            for (int i = 0; i < MaxLegitimateConnections && OwnClient < _clients.Count; i++)
            {
                try
                {
                    await AcceptAsync(upstream, TimeSpan.FromSeconds(2));
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        public override string ToString() =>
            $"{Clients} clients: {OwnClient} relayed with their own client, {WithoutToa.Count()} without TOA (peer), {Wrong.Count()} with a wrong client; {_told.Count} upstream connections";

        private bool IsOwnClient(IPEndPoint told) =>
            _clients.Contains(told.Port) && told.Address.Equals(DerivedClient.V4Address(told.Port));
    }

    private sealed class PeakTally
    {
        private int _flows;
        private long _rss;

        public int Flows => Volatile.Read(ref _flows);

        public long RssBytes => Interlocked.Read(ref _rss);

        public void Observe(int flows, long rss)
        {
            Volatile.Write(ref _flows, Math.Max(Flows, flows));
            Interlocked.Exchange(ref _rss, Math.Max(RssBytes, rss));
        }
    }
}
