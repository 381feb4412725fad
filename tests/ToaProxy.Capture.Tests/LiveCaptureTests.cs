using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ToaProxy.Capture.Tests.Support;
using ToaProxy.Protocol;
using ToaProxy.Testing;
using Xunit.Abstractions;

namespace ToaProxy.Capture.Tests;

/// <summary>Both live backends against real loopback connections (needs root).</summary>
public sealed class LiveCaptureTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    public static TheoryData<string, string> BackendsAndAddresses => new()
    {
        { TestCaptureBackends.AfPacket, "127.0.0.1" },
        { TestCaptureBackends.AfPacket, "::1" },
        { TestCaptureBackends.Pcap, "127.0.0.1" },
        { TestCaptureBackends.Pcap, "::1" },
    };

    public static TheoryData<string> Backends => new() { TestCaptureBackends.AfPacket, TestCaptureBackends.Pcap };

    [SkippableTheory]
    [MemberData(nameof(BackendsAndAddresses))]
    public async Task SynIsDeliveredOnceBeforeTheDrainBarrierCompletes(string kind, string address)
    {
        Requires.Root();
        using var timeout = new CancellationTokenSource(Bound);
        using var listener = new LoopbackListener(address);
        var sink = new CollectingFrameSink();
        await using var backend = TestCaptureBackends.Create(kind, "lo", listener.Port);
        await backend.StartAsync(sink, timeout.Token);

        var (client, server) = await listener.ConnectAsync(timeout.Token);
        using (client)
        using (server)
        {
            await backend.WaitForDrainAsync(timeout.Token);

            // Right after the barrier, with no further waiting: the SYN is there, once (not lo's outgoing copy too).
            var syn = Assert.Single(sink.SegmentsTo(listener.Port), s => s.IsSyn);
            Assert.Equal(((IPEndPoint)client.LocalEndPoint!).Port, syn.SourcePort);
            Assert.Equal(address.Contains(':') ? 6 : 4, syn.IpVersion);
            Assert.Equal([kind == TestCaptureBackends.AfPacket ? LinkType.RawIp : LinkType.Ethernet], sink.LinkTypes);
            Assert.True(backend.IsRunning);
            Assert.Null(backend.Fault);
            Assert.True(backend.ReadStatistics().FramesReceived >= 1);
        }
    }

    [SkippableTheory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task AfPacketBarrierDrainsOnTheCallersThreadAndReturnsComplete(string address)
    {
        Requires.Root();
        const int Connections = 20;
        using var timeout = new CancellationTokenSource(Bound);
        using var listener = new LoopbackListener(address);
        var sink = new CollectingFrameSink();
        await using var backend = TestCaptureBackends.Create(TestCaptureBackends.AfPacket, "lo", listener.Port);
        await backend.StartAsync(sink, timeout.Token);

        var pairs = new List<(Socket Client, Socket Server)>();
        try
        {
            for (int i = 0; i < Connections; i++)
            {
                pairs.Add(await listener.ConnectAsync(timeout.Token));
            }

            // A short queue is received by the caller itself: the barrier is complete when it returns
            // (the relay's hot path: no timer, no thread switch), and every SYN queued before is delivered.
            ValueTask drained = backend.WaitForDrainAsync(timeout.Token);
            Assert.True(drained.IsCompletedSuccessfully);

            var expected = pairs.Select(p => ((IPEndPoint)p.Client.LocalEndPoint!).Port).Order().ToList();
            var delivered = sink.SegmentsTo(listener.Port).Where(s => s.IsSyn).Select(s => (int)s.SourcePort).Order().ToList();
            Assert.Equal(expected, delivered);
        }
        finally
        {
            foreach (var (client, server) in pairs)
            {
                client.Dispose();
                server.Dispose();
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(BackendsAndAddresses))]
    public async Task BulkDataStaysInTheKernel(string kind, string address)
    {
        Requires.Root();
        const int BulkBytes = 20 << 20;
        using var timeout = new CancellationTokenSource(Bound);
        using var listener = new LoopbackListener(address);
        var sink = new CollectingFrameSink();
        await using var backend = TestCaptureBackends.Create(kind, "lo", listener.Port);
        await backend.StartAsync(sink, timeout.Token);

        long loopbackBefore = LoopbackCounters.ReceivedPackets();
        var (client, server) = await listener.ConnectAsync(timeout.Token);
        using (client)
        using (server)
        {
            var receiving = ReceiveAllAsync(server, BulkBytes, timeout.Token);
            var chunk = new byte[64 << 10];
            for (int sent = 0; sent < BulkBytes; sent += chunk.Length)
            {
                await client.SendAsync(chunk, SocketFlags.None, timeout.Token);
            }

            Assert.Equal(BulkBytes, await receiving);
            await backend.WaitForDrainAsync(timeout.Token);
        }

        long loopbackPackets = LoopbackCounters.ReceivedPackets() - loopbackBefore;
        var captured = sink.SegmentsTo(listener.Port);
        output.WriteLine($"{kind} {address}: lo received {loopbackPackets} packets during the transfer; the capture delivered {captured.Count} to port {listener.Port}.");

        // 20 MB is at least 320 full-size (64 KB) lo segments to the port plus their ACKs; the
        // capture gets the SYN and at most a stray segment with unusual options.
        Assert.True(loopbackPackets >= 300, $"lo received only {loopbackPackets} packets");
        Assert.InRange(captured.Count, 1, 3);
        Assert.Single(captured, s => s.IsSyn);
        Assert.InRange(backend.ReadStatistics().KernelDrops, 0, 0);
    }

    [SkippableTheory]
    [MemberData(nameof(Backends))]
    public async Task DrainCompletesPromptlyWhenIdleAndAtOnceAfterStop(string kind)
    {
        Requires.Root();
        using var timeout = new CancellationTokenSource(Bound);
        using var listener = new LoopbackListener("127.0.0.1");
        await using var backend = TestCaptureBackends.Create(kind, "lo", listener.Port);
        await backend.StartAsync(new CollectingFrameSink(), timeout.Token);

        var stopwatch = Stopwatch.StartNew();
        for (int i = 0; i < 20; i++)
        {
            await backend.WaitForDrainAsync(timeout.Token);
        }

        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(2), $"20 idle barriers took {stopwatch.Elapsed}");

        // Waiters registered concurrently with stop all complete.
        var pending = Enumerable.Range(0, 50).Select(_ => backend.WaitForDrainAsync(timeout.Token).AsTask()).ToArray();
        await backend.StopAsync(timeout.Token);
        await Task.WhenAll(pending).WaitAsync(timeout.Token);

        Assert.False(backend.IsRunning);
        Assert.Null(backend.Fault);
        Assert.True(backend.WaitForDrainAsync(timeout.Token).IsCompletedSuccessfully);
    }

    [SkippableTheory]
    [MemberData(nameof(Backends))]
    public async Task BarrierHoldsForEveryConnectionOfABurst(string kind)
    {
        Requires.Root();
        const int Connections = 30;
        using var timeout = new CancellationTokenSource(Bound);
        using var listener = new LoopbackListener("127.0.0.1");
        var sink = new CollectingFrameSink();
        await using var backend = TestCaptureBackends.Create(kind, "lo", listener.Port);
        await backend.StartAsync(sink, timeout.Token);

        for (int i = 0; i < Connections; i++)
        {
            var (client, server) = await listener.ConnectAsync(timeout.Token);
            using (client)
            using (server)
            {
                await backend.WaitForDrainAsync(timeout.Token);
                ushort clientPort = (ushort)((IPEndPoint)client.LocalEndPoint!).Port;
                Assert.Single(sink.SegmentsTo(listener.Port), s => s.IsSyn && s.SourcePort == clientPort);
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Backends))]
    public async Task BarrierWaitsForASlowSink(string kind)
    {
        Requires.Root();
        using var timeout = new CancellationTokenSource(Bound);
        using var listener = new LoopbackListener("::1");
        var sink = new CollectingFrameSink(perFrameDelay: TimeSpan.FromMilliseconds(200));
        await using var backend = TestCaptureBackends.Create(kind, "lo", listener.Port);
        await backend.StartAsync(sink, timeout.Token);

        var (client, server) = await listener.ConnectAsync(timeout.Token);
        using (client)
        using (server)
        {
            await backend.WaitForDrainAsync(timeout.Token);
            Assert.Single(sink.SegmentsTo(listener.Port), s => s.IsSyn);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Backends))]
    public async Task OnAnyTheSynIsDeliveredOnce(string kind)
    {
        Requires.Root();
        using var timeout = new CancellationTokenSource(Bound);
        using var listener = new LoopbackListener("127.0.0.1");
        var sink = new CollectingFrameSink();
        await using var backend = TestCaptureBackends.Create(kind, "any", listener.Port);
        await backend.StartAsync(sink, timeout.Token);

        var (client, server) = await listener.ConnectAsync(timeout.Token);
        using (client)
        using (server)
        {
            await backend.WaitForDrainAsync(timeout.Token);
            Assert.Single(sink.SegmentsTo(listener.Port), s => s.IsSyn);

            // Cooked on "any": bare IP from AF_PACKET DGRAM, a Linux cooked header from libpcap.
            LinkType[] expected = kind == TestCaptureBackends.AfPacket ? [LinkType.RawIp] : [LinkType.LinuxSll, LinkType.LinuxSll2];
            Assert.Contains(Assert.Single(sink.LinkTypes), expected);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Backends))]
    public async Task ReceiveLoopAllocatesNothingPerFrame(string kind)
    {
        Requires.Root();
        const int Connections = 40;
        const int Warmup = 10;
        using var timeout = new CancellationTokenSource(Bound);
        using var listener = new LoopbackListener("127.0.0.1");
        var sink = new AllocationRecordingSink(Connections);
        await using var backend = TestCaptureBackends.Create(kind, "lo", listener.Port);
        await backend.StartAsync(sink, timeout.Token);

        // No barrier calls: releasing a waiter queues its continuation, which allocates on the capture thread.
        for (int i = 0; i < Connections; i++)
        {
            var (client, server) = await listener.ConnectAsync(timeout.Token);
            client.Dispose();
            server.Dispose();
        }

        while (sink.Count < Connections)
        {
            await Task.Delay(10, timeout.Token);
        }

        var allocated = sink.AllocatedAtFrame;
        long afterWarmup = allocated[^1] - allocated[Warmup];
        output.WriteLine($"{kind}: {afterWarmup} bytes allocated on the capture thread over {Connections - Warmup - 1} frames");
        Assert.Equal(0, afterWarmup);
    }

    [SkippableTheory]
    [MemberData(nameof(Backends))]
    public async Task StartOnMissingInterfaceNamesIt(string kind)
    {
        Requires.Root();
        await using var backend = TestCaptureBackends.Create(kind, "toa-missing0", 80);
        var error = await Assert.ThrowsAsync<IOException>(() => backend.StartAsync(new CollectingFrameSink(), CancellationToken.None));
        Assert.Contains("toa-missing0", error.Message);
        Assert.False(backend.IsRunning);
    }

    private static async Task<int> ReceiveAllAsync(Socket socket, int expected, CancellationToken cancellationToken)
    {
        var buffer = new byte[256 << 10];
        int total = 0;
        while (total < expected)
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }
}
