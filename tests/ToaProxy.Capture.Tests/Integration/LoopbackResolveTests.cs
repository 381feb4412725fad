using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using ToaProxy.Capture.Emulation;
using ToaProxy.Capture.Flows;
using ToaProxy.Capture.Tests.Support;
using ToaProxy.Protocol;
using ToaProxy.Testing;

namespace ToaProxy.Capture.Tests.Integration;

/// <summary>
/// Every backend on real loopback connections, with the load balancer emulated on OUTPUT: the relay's
/// ResolveAsync right after accept must answer the emulated client, whichever packet carried it.
/// </summary>
[Collection(MeasurementCollection.Name)]
public sealed class LoopbackResolveTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(5);
    private static readonly string[] BackendNames = [ResolvingCapture.AfPacket, ResolvingCapture.Pcap, ResolvingCapture.Nfqueue];

    public static TheoryData<string, string, byte, bool, ToaInjectionPackets> ToaCases()
    {
        var cases = new TheoryData<string, string, byte, bool, ToaInjectionPackets>();
        foreach (string backend in BackendNames)
        {
            foreach (ToaInjectionPackets packets in (ToaInjectionPackets[])[ToaInjectionPackets.Syn, ToaInjectionPackets.HandshakeAckAndFirstData])
            {
                cases.Add(backend, "127.0.0.1", 200, false, packets);
                cases.Add(backend, "127.0.0.1", 254, false, packets);
                cases.Add(backend, "127.0.0.1", 253, true, packets);
                cases.Add(backend, "::1", 254, true, packets);
            }
        }

        return cases;
    }

    public static TheoryData<string, string> BackendsAndAddresses()
    {
        var cases = new TheoryData<string, string>();
        foreach (string backend in BackendNames)
        {
            cases.Add(backend, "127.0.0.1");
            cases.Add(backend, "::1");
        }

        return cases;
    }

    public static TheoryData<string> Backends() => new(BackendNames);

    [SkippableTheory]
    [MemberData(nameof(ToaCases))]
    public async Task Resolve_right_after_accept_finds_the_emulated_client(
        string backend, string address, byte kind, bool ipv6Client, ToaInjectionPackets packets)
    {
        Requires.Root();
        using var timeout = new CancellationTokenSource(Bound);
        using var listener = new LoopbackListener(address);
        await using var capture = await ResolvingCapture.StartAsync(backend, listener.Port, timeout.Token);
        TcpOptionWriter writer = ipv6Client ? ToaOptionWriters.ClientV6(kind, DerivedClient.V6) : ToaOptionWriters.ClientV4(kind, DerivedClient.V4);
        await using var loadBalancer = LoadBalancerEmulator.Start(listener.Port, writer, packets);

        for (int i = 0; i < 3; i++)
        {
            var (client, server) = await listener.ConnectAsync(timeout.Token);
            using (client)
            using (server)
            {
                FlowResolution answer = await capture.ResolveAsync(server, MaxWait, timeout.Token);

                int clientPort = ((IPEndPoint)client.LocalEndPoint!).Port;
                IPAddress expected = ipv6Client ? DerivedClient.V6Address(clientPort) : DerivedClient.V4Address(clientPort);
                Assert.Equal(FlowResolutionStatus.Found, answer.Status);
                Assert.Equal(expected, answer.Client.Address.ToIPAddress());
                Assert.Equal(clientPort, answer.Client.Port);
                Assert.Equal(kind, answer.Client.Kind);
            }
        }

        Assert.True(loadBalancer.PacketsRewritten >= 3);
        Assert.True(capture.Backend.IsRunning);
        Assert.Equal(0, capture.Counters.Malformed);
    }

    [SkippableTheory]
    [MemberData(nameof(BackendsAndAddresses))]
    public async Task A_connection_without_toa_answers_no_toa_after_the_drain_barrier_not_after_max_wait(string backend, string address)
    {
        Requires.Root();
        using var timeout = new CancellationTokenSource(Bound);
        using var listener = new LoopbackListener(address);
        await using var capture = await ResolvingCapture.StartAsync(backend, listener.Port, timeout.Token);

        for (int i = 0; i < 5; i++)
        {
            var (client, server) = await listener.ConnectAsync(timeout.Token);
            using (client)
            using (server)
            {
                var clock = Stopwatch.StartNew();
                FlowResolution answer = await capture.ResolveAsync(server, MaxWait, timeout.Token);
                TimeSpan took = clock.Elapsed;

                Assert.Equal(FlowResolutionStatus.NoToa, answer.Status);

                // maxWait is 5 s; a missing barrier would cost all of it. The bound is loose on purpose.
                Assert.True(took < TimeSpan.FromSeconds(2), $"NoToa took {took} (maxWait {MaxWait})");
            }
        }

        Assert.Equal(5, capture.Counters.ResolvedNoToa);
        Assert.Equal(0, capture.Counters.ResolvedUnknown);
    }

    [SkippableTheory]
    [MemberData(nameof(Backends))]
    public async Task A_tuple_reused_by_a_connection_without_toa_never_returns_the_first_connections_client(string backend)
    {
        Requires.Root();
        using var timeout = new CancellationTokenSource(Bound);
        using var listener = new LoopbackListener("127.0.0.1");
        await using var capture = await ResolvingCapture.StartAsync(backend, listener.Port, timeout.Token);

        // The emulated load balancer announces a client for the first connection only.
        var announce = new StrongBox<bool>(true);
        TcpOptionWriter first = ToaOptionWriters.Kind254V4(DerivedClient.V4);
        await using var loadBalancer = LoadBalancerEmulator.Start(
            listener.Port,
            (in FlowKey flow, Span<byte> option) => Volatile.Read(ref announce.Value) ? first(flow, option) : 0,
            ToaInjectionPackets.All);

        int clientPort;
        using (Socket client = BoundClient(0))
        {
            await client.ConnectAsync(listener.EndPoint, timeout.Token);
            clientPort = ((IPEndPoint)client.LocalEndPoint!).Port;
            using Socket server = await listener.AcceptAsync(timeout.Token);
            FlowResolution firstAnswer = await capture.ResolveAsync(server, MaxWait, timeout.Token);
            Assert.Equal(FlowResolutionStatus.Found, firstAnswer.Status);
            Assert.Equal(DerivedClient.V4Address(clientPort), firstAnswer.Client.Address.ToIPAddress());

            // Abortive close (RST): no TIME_WAIT, so the same 4-tuple can connect again at once.
            client.LingerState = new LingerOption(true, 0);
            client.Close();
            await WaitForResetAsync(server, timeout.Token);
        }

        Volatile.Write(ref announce.Value, false);
        using (Socket client = BoundClient(clientPort))
        {
            await client.ConnectAsync(listener.EndPoint, timeout.Token);
            using Socket server = await listener.AcceptAsync(timeout.Token);
            Assert.Equal(clientPort, ((IPEndPoint)server.RemoteEndPoint!).Port);

            FlowResolution second = await capture.ResolveAsync(server, MaxWait, timeout.Token);

            Assert.Equal(FlowResolutionStatus.NoToa, second.Status);
            Assert.NotEqual(DerivedClient.V4Address(clientPort), second.Client.Address.ToIPAddress());
        }

        // Both SYNs of the one 4-tuple reached the table (the second replaced the first's taken record).
        Assert.True(capture.Counters.Syns >= 2, $"{capture.Counters.Syns} SYNs seen");
        Assert.Equal(1, capture.Counters.ToaRecorded);
    }

    private static Socket BoundClient(int port)
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        client.Bind(new IPEndPoint(IPAddress.Loopback, port));
        return client;
    }

    private static async Task WaitForResetAsync(Socket server, CancellationToken cancellationToken)
    {
        try
        {
            while (await server.ReceiveAsync(new byte[16], SocketFlags.None, cancellationToken) > 0)
            {
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            // The RST arrived: the server side is gone too.
        }
    }
}
