using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using ToaProxy.Capture.Emulation;
using ToaProxy.Capture.Iptables;
using ToaProxy.Capture.Nfqueue;
using ToaProxy.Protocol;
using ToaProxy.Testing;

namespace ToaProxy.Capture.Tests;

/// <summary>
/// The real kernel path on loopback: a <see cref="TcpOptionInjector"/> on OUTPUT plays the load
/// balancer, a <see cref="NfqueueCaptureBackend"/> on INPUT (another queue, same port) captures,
/// and a real connection must complete with data flowing. One class, so these run one at a time.
/// </summary>
public class NfqueueKernelTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    /// <summary>A client address per source port, so each connection's expected TOA is known.</summary>
    private static (NetAddress Address, ushort Port) ClientV4For(in FlowKey flow) =>
        (NetAddress.FromIPv4(0x0A000000u | flow.PeerPort), (ushort)(flow.PeerPort ^ 0xA5A5));

    private static (NetAddress Address, ushort Port) ClientV6For(in FlowKey flow)
    {
        byte[] address = [0x20, 0x01, 0x0d, 0xb8, .. new byte[10], (byte)(flow.PeerPort >> 8), (byte)flow.PeerPort];
        return (NetAddress.FromIPv6(address), (ushort)(flow.PeerPort ^ 0x5A5A));
    }

    [SkippableTheory]
    [InlineData(200)]
    [InlineData(254)]
    public async Task SynToaV4_IsCapturedOnInput_AndTheConnectionWorks(byte kind)
    {
        Requires.Root();
        string tag = KernelTestIds.NewTag();
        try
        {
            using Socket listener = LoopbackExchange.Listen(IPAddress.Loopback);
            ushort port = Port(listener);
            var sink = new RecordingFrameSink();
            var capture = new NfqueueCaptureBackend(new NfqueueCaptureOptions { QueueNumber = KernelTestIds.NextQueue(), RulePorts = [port], RuleTag = tag });
            await capture.StartAsync(sink, CancellationToken.None);
            TcpOptionInjector injector = TcpOptionInjector.Start(
                new TcpOptionInjectorOptions(KernelTestIds.NextQueue(), port, ToaOptionWriters.ClientV4(kind, ClientV4For)) { RuleTag = tag });
            Assert.Equal(4, IptablesRuleSet.ListTagged(tag).Count);

            LoopbackExchange exchange = await RunExchangeAsync(listener);

            byte[] expected = ExpectedV4(kind, exchange.ClientPort);
            AssertWorked(exchange);
            Assert.Equal(expected, exchange.SavedSyn.FindOption(kind));
            ParsedTcpPacket syn = Assert.Single(sink.Packets, p => p.IsSyn && p.SourcePort == exchange.ClientPort);
            Assert.Equal(expected, syn.FindOption(kind));
            Assert.Equal(1, injector.PacketsRewritten);
            Assert.True(capture.IsRunning);
            Assert.True(capture.ReadStatistics().FramesReceived >= 3); // SYN, handshake ACK, first data
            Assert.Empty(sink.Errors);

            await injector.DisposeAsync();
            await capture.DisposeAsync();
            Assert.Empty(IptablesRuleSet.ListTagged(tag));
            Assert.False(capture.IsRunning);
            Assert.Null(capture.Fault);
        }
        finally
        {
            IptablesRuleSet.RemoveAllTagged(tag);
        }
    }

    [SkippableFact]
    public async Task SynToa253V6_OnIpv6Loopback_FillsTheSynOptionSpace_AndTheConnectionWorks()
    {
        Requires.Root();
        string tag = KernelTestIds.NewTag();
        try
        {
            using Socket listener = LoopbackExchange.Listen(IPAddress.IPv6Loopback);
            ushort port = Port(listener);
            var sink = new RecordingFrameSink();
            await using var capture = new NfqueueCaptureBackend(new NfqueueCaptureOptions { QueueNumber = KernelTestIds.NextQueue(), RulePorts = [port], RuleTag = tag });
            await capture.StartAsync(sink, CancellationToken.None);
            await using TcpOptionInjector injector = TcpOptionInjector.Start(
                new TcpOptionInjectorOptions(KernelTestIds.NextQueue(), port, ToaOptionWriters.Kind253V6(ClientV6For)) { RuleTag = tag });

            LoopbackExchange exchange = await RunExchangeAsync(listener);

            byte[] expected = ExpectedV6(253, exchange.ClientPort);
            AssertWorked(exchange);
            Assert.Equal(expected, exchange.SavedSyn.FindOption(253));
            ParsedTcpPacket syn = Assert.Single(sink.Packets, p => p.IsSyn && p.SourcePort == exchange.ClientPort);
            Assert.Equal(6, syn.IpVersion);
            Assert.Equal(40, syn.OptionBytes.Length);
            Assert.Equal(expected, syn.FindOption(253));
            Assert.Equal(1, injector.PacketsRewritten);
        }
        finally
        {
            IptablesRuleSet.RemoveAllTagged(tag);
        }
    }

    [SkippableFact]
    public async Task AckAndFirstDataMode_PutsToaOnBoth_NotOnSyn_AndDataArrivesIntact()
    {
        Requires.Root();
        string tag = KernelTestIds.NewTag();
        try
        {
            using Socket listener = LoopbackExchange.Listen(IPAddress.Loopback);
            ushort port = Port(listener);
            var sink = new RecordingFrameSink();
            await using var capture = new NfqueueCaptureBackend(new NfqueueCaptureOptions { QueueNumber = KernelTestIds.NextQueue(), RulePorts = [port], RuleTag = tag });
            await capture.StartAsync(sink, CancellationToken.None);
            await using TcpOptionInjector injector = TcpOptionInjector.Start(
                new TcpOptionInjectorOptions(KernelTestIds.NextQueue(), port, ToaOptionWriters.Kind254V4(ClientV4For))
                {
                    RuleTag = tag,
                    Packets = ToaInjectionPackets.HandshakeAckAndFirstData,
                });

            LoopbackExchange exchange = await RunExchangeAsync(listener);

            byte[] expected = ExpectedV4(254, exchange.ClientPort);
            AssertWorked(exchange);
            Assert.Null(exchange.SavedSyn.FindOption(254));
            ParsedTcpPacket[] packets = [.. sink.Packets.Where(p => p.SourcePort == exchange.ClientPort)];
            Assert.Equal(3, packets.Length);
            Assert.Null(packets[0].FindOption(254));
            Assert.True(packets[0].IsSyn);
            Assert.Empty(packets[1].Payload);
            Assert.Equal(expected, packets[1].FindOption(254));
            Assert.Equal("ping"u8.ToArray(), packets[2].Payload);
            Assert.Equal(expected, packets[2].FindOption(254));
            Assert.Equal(2, injector.PacketsRewritten);
        }
        finally
        {
            IptablesRuleSet.RemoveAllTagged(tag);
        }
    }

    [SkippableFact]
    public async Task AllMode_Ipv6_Toa254V6_OnSynAckAndData()
    {
        Requires.Root();
        string tag = KernelTestIds.NewTag();
        try
        {
            using Socket listener = LoopbackExchange.Listen(IPAddress.IPv6Loopback);
            ushort port = Port(listener);
            var sink = new RecordingFrameSink();
            await using var capture = new NfqueueCaptureBackend(new NfqueueCaptureOptions { QueueNumber = KernelTestIds.NextQueue(), RulePorts = [port], RuleTag = tag });
            await capture.StartAsync(sink, CancellationToken.None);
            await using TcpOptionInjector injector = TcpOptionInjector.Start(
                new TcpOptionInjectorOptions(KernelTestIds.NextQueue(), port, ToaOptionWriters.Kind254V6(ClientV6For)) { RuleTag = tag, Packets = ToaInjectionPackets.All });

            LoopbackExchange exchange = await RunExchangeAsync(listener);

            byte[] expected = ExpectedV6(254, exchange.ClientPort);
            AssertWorked(exchange);
            Assert.Equal(expected, exchange.SavedSyn.FindOption(254));
            ParsedTcpPacket[] packets = [.. sink.Packets.Where(p => p.SourcePort == exchange.ClientPort)];
            Assert.Equal(3, packets.Length);
            Assert.All(packets, p => Assert.Equal(expected, p.FindOption(254)));
            Assert.Equal(3, injector.PacketsRewritten);
        }
        finally
        {
            IptablesRuleSet.RemoveAllTagged(tag);
        }
    }

    [SkippableFact]
    public async Task RewritingSink_TheKernelDeliversTheRewrittenSyn()
    {
        Requires.Root();
        string tag = KernelTestIds.NewTag();
        try
        {
            using Socket listener = LoopbackExchange.Listen(IPAddress.Loopback);
            ushort port = Port(listener);
            var sink = new RecordingFrameSink { StripKind = 254 };
            await using var capture = new NfqueueCaptureBackend(new NfqueueCaptureOptions
            {
                QueueNumber = KernelTestIds.NextQueue(), RulePorts = [port], RuleTag = tag, AllowRewrite = true,
            });
            await capture.StartAsync(sink, CancellationToken.None);
            await using TcpOptionInjector injector = TcpOptionInjector.Start(
                new TcpOptionInjectorOptions(KernelTestIds.NextQueue(), port, ToaOptionWriters.Kind254V4(ClientV4For)) { RuleTag = tag });

            LoopbackExchange exchange = await RunExchangeAsync(listener);

            AssertWorked(exchange);
            ParsedTcpPacket syn = Assert.Single(sink.Packets, p => p.IsSyn && p.SourcePort == exchange.ClientPort);
            Assert.Equal(ExpectedV4(254, exchange.ClientPort), syn.FindOption(254));
            Assert.Equal(1, sink.Stripped);
            // TCP itself got the NOPs the sink wrote: same header length, option gone.
            Assert.Null(exchange.SavedSyn.FindOption(254));
            Assert.Equal(syn.OptionBytes.Length, exchange.SavedSyn.OptionBytes.Length);
            Assert.Equal([1, 1, 1, 1, 1, 1, 1, 1], exchange.SavedSyn.OptionBytes[..8]);
            Assert.Empty(sink.Errors);
        }
        finally
        {
            IptablesRuleSet.RemoveAllTagged(tag);
        }
    }

    [SkippableFact]
    public async Task BindingAQueueSomeoneHolds_FailsNamingTheQueue()
    {
        Requires.Root();
        string tag = KernelTestIds.NewTag();
        ushort queue = KernelTestIds.NextQueue();
        try
        {
            await using TcpOptionInjector injector = TcpOptionInjector.Start(
                new TcpOptionInjectorOptions(queue, 9, ToaOptionWriters.Raw([254, 3, 0])) { RuleTag = tag });
            var capture = new NfqueueCaptureBackend(new NfqueueCaptureOptions { QueueNumber = queue, RulePorts = [9], RuleTag = tag + "-capture" });

            IOException error = await Assert.ThrowsAsync<IOException>(() => capture.StartAsync(new RecordingFrameSink(), CancellationToken.None));

            Assert.Contains($"NFQUEUE {queue}", error.Message);
            Assert.Contains("errno 1)", error.Message); // EPERM: the queue has another owner
            Assert.Contains("another process", error.Message);
            Assert.False(capture.IsRunning);
            Assert.Empty(IptablesRuleSet.ListTagged(tag + "-capture"));
        }
        finally
        {
            IptablesRuleSet.RemoveAllTagged(tag);
            IptablesRuleSet.RemoveAllTagged(tag + "-capture");
        }
    }

    [SkippableFact]
    public async Task WhenAcceptReturns_TheSinkHasAlreadySeenTheHandshakeAck()
    {
        Requires.Root();
        string tag = KernelTestIds.NewTag();
        try
        {
            using Socket listener = LoopbackExchange.Listen(IPAddress.Loopback);
            ushort port = Port(listener);
            var sink = new RecordingFrameSink();
            await using var capture = new NfqueueCaptureBackend(new NfqueueCaptureOptions { QueueNumber = KernelTestIds.NextQueue(), RulePorts = [port], RuleTag = tag });
            await capture.StartAsync(sink, CancellationToken.None);
            using var timeout = new CancellationTokenSource(Timeout);

            for (int i = 0; i < 20; i++)
            {
                using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await client.ConnectAsync(listener.LocalEndPoint!, timeout.Token);
                using Socket server = await listener.AcceptAsync(timeout.Token);
                await capture.WaitForDrainAsync(timeout.Token);

                // No waiting: the verdict that let the ACK reach TCP was sent after the sink returned.
                ushort clientPort = (ushort)((IPEndPoint)client.LocalEndPoint!).Port;
                Assert.Contains(sink.Packets, p => p.SourcePort == clientPort && p.Flags == 0x10 && p.Payload.Length == 0);
            }
        }
        finally
        {
            IptablesRuleSet.RemoveAllTagged(tag);
        }
    }

    [SkippableFact]
    public async Task RawMalformedOption_IsInsertedAsGiven_AndTheKernelStillAccepts()
    {
        Requires.Root();
        string tag = KernelTestIds.NewTag();
        byte[] malformed = [254, 6, 0x1F, 0x90, 10, 0]; // a TOA cut short: port and half an address
        try
        {
            using Socket listener = LoopbackExchange.Listen(IPAddress.Loopback);
            ushort port = Port(listener);
            var sink = new RecordingFrameSink();
            await using var capture = new NfqueueCaptureBackend(new NfqueueCaptureOptions { QueueNumber = KernelTestIds.NextQueue(), RulePorts = [port], RuleTag = tag });
            await capture.StartAsync(sink, CancellationToken.None);
            await using TcpOptionInjector injector = TcpOptionInjector.Start(
                new TcpOptionInjectorOptions(KernelTestIds.NextQueue(), port, ToaOptionWriters.Raw(malformed)) { RuleTag = tag });

            LoopbackExchange exchange = await RunExchangeAsync(listener);

            AssertWorked(exchange);
            ParsedTcpPacket syn = Assert.Single(sink.Packets, p => p.IsSyn && p.SourcePort == exchange.ClientPort);
            Assert.Equal([.. malformed, 1, 1], syn.OptionBytes[..8]);
        }
        finally
        {
            IptablesRuleSet.RemoveAllTagged(tag);
        }
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CapturePath_AllocatesNothingPerPacket(bool allowRewrite)
    {
        Requires.Root();
        string tag = KernelTestIds.NewTag();
        try
        {
            using Socket listener = LoopbackExchange.Listen(IPAddress.Loopback);
            ushort port = Port(listener);
            var sink = new AllocationProbeSink();
            await using var capture = new NfqueueCaptureBackend(new NfqueueCaptureOptions
            {
                QueueNumber = KernelTestIds.NextQueue(), RulePorts = [port], RuleTag = tag, AllowRewrite = allowRewrite,
            });
            await capture.StartAsync(sink, CancellationToken.None);

            for (int i = 0; i < 12; i++)
            {
                AssertWorked(await RunExchangeAsync(listener));
            }

            long[] samples = sink.Samples;
            Assert.Equal(36, samples.Length);
            // The first connections warm up lazily initialised runtime state; after that, nothing.
            long[] perPacket = [.. samples.Skip(9).Zip(samples.Skip(10), (before, after) => after - before)];
            Assert.All(perPacket, bytes => Assert.Equal(0, bytes));
        }
        finally
        {
            IptablesRuleSet.RemoveAllTagged(tag);
        }
    }

    private static async Task<LoopbackExchange> RunExchangeAsync(Socket listener)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        return await LoopbackExchange.RunAsync(listener, timeout.Token);
    }

    private static void AssertWorked(LoopbackExchange exchange)
    {
        Assert.Equal("ping", exchange.ServerReceived);
        Assert.Equal("pong", exchange.ClientReceived);
    }

    private static ushort Port(Socket listener) => (ushort)((IPEndPoint)listener.LocalEndPoint!).Port;

    private static byte[] ExpectedV4(byte kind, ushort clientPort)
    {
        byte[] option = [kind, 8, 0, 0, 10, 0, (byte)(clientPort >> 8), (byte)clientPort];
        BinaryPrimitives.WriteUInt16BigEndian(option.AsSpan(2), (ushort)(clientPort ^ 0xA5A5));
        return option;
    }

    private static byte[] ExpectedV6(byte kind, ushort clientPort)
    {
        byte[] option = [kind, 20, 0, 0, 0x20, 0x01, 0x0d, 0xb8, .. new byte[10], (byte)(clientPort >> 8), (byte)clientPort];
        BinaryPrimitives.WriteUInt16BigEndian(option.AsSpan(2), (ushort)(clientPort ^ 0x5A5A));
        return option;
    }
}
