using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using ToaProxy.Capture.Emulation;
using ToaProxy.Capture.Flows;
using ToaProxy.Testing;

namespace ToaProxy.Capture.Tests.Integration;

/// <summary>
/// A thousand concurrent real connections, each with its own emulated client (derived from its
/// source port): every ResolveAsync must return its own connection's client. A wrong client is
/// worse than none, so one misattribution fails the test.
/// </summary>
[Collection(MeasurementCollection.Name)]
public sealed class ConcurrentResolveTests
{
    private const int Connections = 1000;
    private const int Concurrency = 50;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(5);

    [SkippableTheory]
    [InlineData(ResolvingCapture.AfPacket, "127.0.0.1", ToaInjectionPackets.Syn)]
    [InlineData(ResolvingCapture.Nfqueue, "127.0.0.1", ToaInjectionPackets.Syn)]
    [InlineData(ResolvingCapture.Pcap, "127.0.0.1", ToaInjectionPackets.Syn)]
    [InlineData(ResolvingCapture.AfPacket, "127.0.0.1", ToaInjectionPackets.HandshakeAckAndFirstData)]
    [InlineData(ResolvingCapture.Nfqueue, "127.0.0.1", ToaInjectionPackets.HandshakeAckAndFirstData)]
    [InlineData(ResolvingCapture.Pcap, "127.0.0.1", ToaInjectionPackets.HandshakeAckAndFirstData)]
    [InlineData(ResolvingCapture.AfPacket, "::1", ToaInjectionPackets.Syn)]
    [InlineData(ResolvingCapture.Nfqueue, "::1", ToaInjectionPackets.HandshakeAckAndFirstData)]
    public async Task A_thousand_concurrent_connections_each_resolve_to_their_own_client(string backend, string address, ToaInjectionPackets packets)
    {
        Requires.Root();
        using var timeout = new CancellationTokenSource(Bound);
        var loopback = IPAddress.Parse(address);
        bool ipv6 = loopback.AddressFamily == AddressFamily.InterNetworkV6;
        using var listener = new Socket(loopback.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(loopback, 0));
        listener.Listen(Connections);
        var endPoint = (IPEndPoint)listener.LocalEndPoint!;
        await using var capture = await ResolvingCapture.StartAsync(backend, (ushort)endPoint.Port, timeout.Token);
        TcpOptionWriter option = ipv6 ? ToaOptionWriters.Kind254V6(DerivedClient.V6) : ToaOptionWriters.Kind254V4(DerivedClient.V4);
        await using var loadBalancer = LoadBalancerEmulator.Start(endPoint.Port, option, packets);

        var answers = new ConcurrentDictionary<int, FlowResolution>();
        Task server = ServeAsync(listener, capture, answers, timeout.Token);
        var clientPorts = new ConcurrentBag<int>();

        // Clients stay open until the end: a closed client's port may be reused by a later connection
        // (the server closed first, so only the server holds TIME_WAIT), which would look like a duplicate.
        var clients = new ConcurrentBag<Socket>();
        using var gate = new SemaphoreSlim(Concurrency);
        try
        {
            await Task.WhenAll(Enumerable.Range(0, Connections).Select(async _ =>
            {
                await gate.WaitAsync(timeout.Token);
                try
                {
                    var client = new Socket(loopback.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                    clients.Add(client);
                    await client.ConnectAsync(endPoint, timeout.Token);
                    clientPorts.Add(((IPEndPoint)client.LocalEndPoint!).Port);

                    // The server closes once it has resolved this connection.
                    while (await client.ReceiveAsync(new byte[16], SocketFlags.None, timeout.Token) > 0)
                    {
                    }
                }
                finally
                {
                    gate.Release();
                }
            }));
            await server;
        }
        finally
        {
            foreach (Socket client in clients)
            {
                client.Dispose();
            }
        }

        Func<int, IPAddress> expected = ipv6 ? DerivedClient.V6Address : DerivedClient.V4Address;
        var notFound = answers.Where(a => a.Value.Status != FlowResolutionStatus.Found).Select(a => $"{a.Key}:{a.Value.Status}").ToList();
        var wrong = answers
            .Where(a => a.Value.IsFound && (!a.Value.Client.Address.ToIPAddress().Equals(expected(a.Key)) || a.Value.Client.Port != a.Key))
            .Select(a => $"{a.Key}->{a.Value.Client.Address}:{a.Value.Client.Port}")
            .ToList();
        Assert.Equal(Connections, answers.Count);
        Assert.Equal(clientPorts.Order(), answers.Keys.Order());
        Assert.True(wrong.Count == 0, $"{wrong.Count} misattributed, e.g. {string.Join(", ", wrong.Take(5))}");
        Assert.True(notFound.Count == 0, $"{notFound.Count} not found, e.g. {string.Join(", ", notFound.Take(5))}");
        Assert.Equal(0, capture.Backend.ReadStatistics().KernelDrops);
        Assert.Equal(Connections, capture.Counters.ResolvedFound);
    }

    /// <summary>Accepts every connection and resolves each one on its own task, as the relay does.</summary>
    private static async Task ServeAsync(
        Socket listener, ResolvingCapture capture, ConcurrentDictionary<int, FlowResolution> answers, CancellationToken cancellationToken)
    {
        var resolving = new List<Task>(Connections);
        for (int i = 0; i < Connections; i++)
        {
            Socket accepted = await listener.AcceptAsync(cancellationToken);
            resolving.Add(Task.Run(
                async () =>
                {
                    using (accepted)
                    {
                        FlowResolution answer = await capture.ResolveAsync(accepted, MaxWait, cancellationToken);
                        Assert.True(answers.TryAdd(((IPEndPoint)accepted.RemoteEndPoint!).Port, answer), "a client port was accepted twice");
                    }
                },
                cancellationToken));
        }

        await Task.WhenAll(resolving);
    }
}
