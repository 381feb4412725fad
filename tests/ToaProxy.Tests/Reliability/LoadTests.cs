using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using ToaProxy.Admin;
using ToaProxy.Testing;
using ToaProxy.Tests.EndToEnd;
using Xunit.Abstractions;

namespace ToaProxy.Tests.Reliability;

/// <summary>
/// 10,000 concurrent connections (fewer when the file-descriptor hard limit cannot hold two sockets
/// per connection) held open through the published proxy to a real nginx, each having relayed an
/// HTTP request; then MaxConnections refuses one more; then all close and the proxy's open fds and
/// active-connection gauge return to where they were and its RSS does not grow while closing.
/// tests/soak/load.sh repeats the rounds (TOAPROXY_LOAD_ROUNDS) with the proxy's GC heap capped
/// (TOAPROXY_LOAD_PROXY_HEAP_LIMIT), so a per-connection managed leak fails a later round.
/// </summary>
[Collection(LoadCollection.Name)]
public sealed class LoadTests(ITestOutputHelper output)
{
    private const int Target = 10_000;
    private const int Concurrency = 256;
    private const int ReservedDescriptors = 400;
    private const int Warm = 200;
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(30);

    /// <summary>Rounds of open-all-then-close-all; tests/soak/load.sh runs more.</summary>
    private static int Rounds => int.Parse(Environment.GetEnvironmentVariable("TOAPROXY_LOAD_ROUNDS") ?? "1", System.Globalization.CultureInfo.InvariantCulture);

    [SkippableFact]
    public async Task Ten_thousand_concurrent_connections_are_held_relayed_and_released_without_leaks_and_max_connections_holds()
    {
        Requires.Root();
        Requires.Command("nginx");
        // Two sockets per relayed connection in the proxy; its limit is inherited from this process.
        int connections = (int)Math.Min(Target, (DescriptorHardLimit() - ReservedDescriptors) / 2);
        output.WriteLine($"fd hard limit {DescriptorHardLimit()}: holding {connections} connections");
        using var nginx = NginxBackend.Start(workerConnections: connections + 64);
        int port = FreePort.Allocate();
        JsonObject config = ProxyConfig.Create(port, nginx.Port, listener: l => l["MaxConnections"] = connections);
        using var admin = AdminStatsReader.EnableIn(config);
        // tests/soak/load.sh caps the proxy's GC heap: a managed leak then fails a later round outright
        // instead of hiding in RSS that the GC keeps for reuse.
        string[] launcher = Environment.GetEnvironmentVariable("TOAPROXY_LOAD_PROXY_HEAP_LIMIT") is string limit
            ? ["/usr/bin/env", $"DOTNET_GCHeapHardLimit={limit}"]
            : [];
        using var proxy = ToaproxyProcess.StartUnder(launcher, PublishedToaproxy.ExecutablePath, config, "--Logging:LogLevel:Default=Information");
        var target = new IPEndPoint(IPAddress.Loopback, port);

        // Warm-up (JIT, pools, thread pool) so the baseline is the proxy at work.
        DisposeAll(await OpenAsync(target, nginx.Body, Warm));
        Assert.True(Poll.Until(() => Active(admin) == 0, Step));
        ProcessFootprint baseline = ProcessFootprint.Read(proxy.Process.Id);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        List<Socket> held = await OpenAsync(target, nginx.Body, connections);
        TimeSpan opened = clock.Elapsed;
        ProcessFootprint loaded = ProcessFootprint.Read(proxy.Process.Id);
        StatsReport atPeak = admin.Read();
        bool refused = await IsRefusedAsync(target);
        long refusedCount = admin.Read().Listeners[0].Counters["refused_max_connections"];
        int[] ports = [.. held.Select(s => ((IPEndPoint)s.LocalEndPoint!).Port)];
        DisposeAll(held);
        Assert.True(Poll.Until(() => Active(admin) == 0, Step), $"{Active(admin)} connections still active after the clients closed");
        ProcessFootprint afterFirst = Settled(proxy, baseline);
        ProcessFootprint afterLast = afterFirst;
        for (int round = 2; round <= Rounds; round++)
        {
            DisposeAll(await OpenAsync(target, nginx.Body, connections));
            Assert.True(Poll.Until(() => Active(admin) == 0, Step), $"{Active(admin)} connections still active after round {round}");
            afterLast = Settled(proxy, baseline);
            output.WriteLine($"after round {round}: {afterLast}");
        }

        output.WriteLine($"opened and relayed {connections} in {opened.TotalSeconds:F1} s");
        output.WriteLine($"baseline:      {baseline}");
        output.WriteLine($"{connections} held: {loaded}; /stats active {atPeak.Listeners[0].Counters["active"]}");
        output.WriteLine($"after closing: {afterFirst}; /stats active 0");

        Assert.Equal(connections, atPeak.Listeners[0].Counters["active"]);
        Assert.True(loaded.FileDescriptors >= baseline.FileDescriptors + (2 * connections), $"the proxy held {loaded.FileDescriptors} fds for {connections} connections");
        Assert.True(refused, "a connection beyond MaxConnections was not refused");
        Assert.True(refusedCount >= 1, "the refusal was not counted");
        Assert.True(Poll.Until(() => nginx.Records().Count >= Warm + (Rounds * connections), Step), $"nginx logged {nginx.Records().Count} requests");
        HashSet<int> logged = [.. nginx.Records().Where(r => IPAddress.Loopback.Equals(r.Client?.Address)).Select(r => r.Client!.Port)];
        Assert.All(ports, p => Assert.Contains(p, logged));
        // A few descriptors of slack: the admin API's keep-alive connection, the runtime's own.
        Assert.True(afterLast.FileDescriptors <= baseline.FileDescriptors + 4, $"fds: {baseline.FileDescriptors} before, {afterLast.FileDescriptors} after");
        Assert.True(afterFirst.RssBytes - loaded.RssBytes < 32L * 1024 * 1024, $"RSS grew from {loaded.RssBytes} to {afterFirst.RssBytes} bytes while the connections closed");
        Assert.False(proxy.Process.HasExited, proxy.Describe());
    }

    /// <summary>The footprint once the descriptors are back to the baseline (sockets are released by the
    /// relay's last continuation, just after the gauge drops) or the wait ends.</summary>
    private static ProcessFootprint Settled(ToaproxyProcess proxy, ProcessFootprint baseline)
    {
        Poll.Until(() => ProcessFootprint.Read(proxy.Process.Id).FileDescriptors <= baseline.FileDescriptors + 4, Step);
        return ProcessFootprint.Read(proxy.Process.Id);
    }

    /// <summary>Opens <paramref name="count"/> connections, each relaying one keep-alive GET and its
    /// response, and returns them still open.</summary>
    private static async Task<List<Socket>> OpenAsync(IPEndPoint target, string body, int count)
    {
        var open = new ConcurrentBag<Socket>();
        using var gate = new SemaphoreSlim(Concurrency);
        byte[] request = "GET / HTTP/1.1\r\nHost: load.test\r\n\r\n"u8.ToArray();
        byte[] expected = Encoding.ASCII.GetBytes(body);
        await Task.WhenAll(Enumerable.Range(0, count).Select(async _ =>
        {
            await gate.WaitAsync();
            try
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                open.Add(socket);
                using var cts = new CancellationTokenSource(Step);
                await socket.ConnectAsync(target, cts.Token);
                await socket.SendAsync(request, SocketFlags.None, cts.Token);
                await ReadUntilAsync(socket, expected, cts.Token);
            }
            finally
            {
                gate.Release();
            }
        }));
        return [.. open];
    }

    private static async Task ReadUntilAsync(Socket socket, byte[] expected, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[1024];
        int filled = 0;
        while (buffer.AsSpan(0, filled).IndexOf(expected) < 0)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, cancellationToken);
            if (n == 0 || filled + n == buffer.Length)
            {
                throw new InvalidDataException($"no response body through the proxy: {Encoding.ASCII.GetString(buffer, 0, filled)}");
            }

            filled += n;
        }
    }

    private static async Task<bool> IsRefusedAsync(IPEndPoint target)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // The reset may come before connect() returns.
            await socket.ConnectAsync(target);
            await SocketStreams.ReadToEndAsync(socket, Step);
            return false;
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode == SocketError.ConnectionReset;
        }
    }

    private static void DisposeAll(IEnumerable<Socket> sockets)
    {
        foreach (Socket socket in sockets)
        {
            socket.Dispose();
        }
    }

    private static long Active(AdminStatsReader admin) => admin.Read().Listeners[0].Counters["active"];

    private static long DescriptorHardLimit()
    {
        string line = File.ReadLines("/proc/self/limits").First(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        string[] fields = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields[1] == "unlimited" ? long.MaxValue : long.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>The load test holds ~20,000 sockets: nothing else in this assembly runs beside it.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LoadCollection
{
    public const string Name = "load";
}
