using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using ToaProxy.Capture.Emulation;
using ToaProxy.Protocol;
using ToaProxy.Testing;

namespace ToaProxy.Tests.Transparent;

/// <summary>
/// Protocol transparent end to end, each test in its own namespace: the backends speak no PROXY
/// protocol, yet nginx's $remote_addr:$remote_port and a server's getpeername() are the client the
/// emulated load balancer put into TOA, and the replies reach that client.
/// </summary>
public sealed class TransparentEndToEndTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    public static TheoryData<string> Layouts => ["200", "254", "254v6"];

    [SkippableTheory]
    [MemberData(nameof(Layouts))]
    public async Task Nginx_and_getpeername_see_the_toa_client_and_stopping_removes_the_routing(string layout)
    {
        (AddressFamily family, TcpOptionWriter option, Func<int, IPAddress> expected) = layout switch
        {
            "200" => (AddressFamily.InterNetwork, ToaOptionWriters.Kind200V4(DerivedClient.V4), DerivedClient.V4Address),
            "254" => (AddressFamily.InterNetwork, ToaOptionWriters.Kind254V4(DerivedClient.V4), DerivedClient.V4Address),
            _ => (AddressFamily.InterNetworkV6, ToaOptionWriters.Kind254V6(DerivedClient.V6), (Func<int, IPAddress>)DerivedClient.V6Address),
        };
        await using TransparentRig rig = TransparentRig.Start(family, option);

        for (int i = 0; i < 3; i++)
        {
            (IPEndPoint local, string response) = await rig.GetThroughNginxAsync(Timeout);
            var client = new IPEndPoint(expected(local.Port), local.Port);
            Assert.Contains($"{PlainNginxBackend.Body} {client.Address}:{client.Port}", response);
            Assert.NotNull(Poll.Until(() => rig.Nginx.Records().FirstOrDefault(r => client.Equals(r.Client)), Timeout));

            (local, response) = await rig.ExchangeAsync(rig.PeerListener, "hello\n", Timeout);
            client = new IPEndPoint(expected(local.Port), local.Port);
            Assert.Equal($"peer {client}\n", response);
            Assert.Contains(client, rig.PeerServer.Peers);
        }

        Assert.DoesNotContain(rig.Nginx.Records(), r => r.Client is null || !r.Client.Address.Equals(expected(r.Client.Port)));
        Assert.Equal(3, rig.Counter("nginx", "with_toa"));
        Assert.Equal(3, rig.Counter("peername", "with_toa"));
        Assert.NotEmpty(rig.LeftoverRouting());
        rig.StopProxy();
        Assert.Empty(rig.LeftoverRouting());
    }

    [SkippableFact]
    public async Task A_nat64_client_to_an_ipv4_backend_follows_without_toa_logged_once_and_counted()
    {
        await using TransparentRig rig = TransparentRig.Start(AddressFamily.InterNetwork, ToaOptionWriters.Kind254V6(DerivedClient.V6));

        for (int i = 0; i < 2; i++)
        {
            (IPEndPoint local, string response) = await rig.ExchangeAsync(rig.PeerListener, "hello\n", Timeout);
            // WithoutToa peer: the TCP peer, here the namespace's own address, is the client. Its port is
            // taken by the test's client socket on this same host, so the proxy's connection gets another.
            Assert.StartsWith($"peer {local.Address}:", response);
        }

        Assert.Equal(2, rig.Counter("peername", "transparent_family_fallback"));
        Assert.Equal(2, rig.Counter("peername", "without_toa_peer"));
        Assert.Equal(0, rig.Counter("peername", "with_toa"));
        Assert.Contains("event=\"transparent_family_fallback\"", rig.AdminGet("/metrics"));
        Assert.Single(rig.Proxy!.Process.StandardOutput, l => l.Contains("cannot be transparent", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task Five_hundred_concurrent_connections_each_reach_nginx_as_their_own_client_and_get_the_reply()
    {
        const int connections = 500;
        await using TransparentRig rig = TransparentRig.Start(AddressFamily.InterNetwork, ToaOptionWriters.Kind200V4(DerivedClient.V4));

        var wrongReplies = new ConcurrentBag<string>();
        var clientPorts = new ConcurrentBag<int>();
        await Task.WhenAll(Enumerable.Range(0, connections).Select(async _ =>
        {
            (IPEndPoint local, string response) = await rig.GetThroughNginxAsync(TimeSpan.FromSeconds(60));
            clientPorts.Add(local.Port);
            if (!response.Contains($"{PlainNginxBackend.Body} {DerivedClient.V4Address(local.Port)}:{local.Port}", StringComparison.Ordinal))
            {
                wrongReplies.Add($"{local.Port}: {response.Split('\n').LastOrDefault()}");
            }
        }));

        Assert.True(Poll.Until(() => rig.Nginx.Records().Count >= connections, Timeout), $"nginx logged {rig.Nginx.Records().Count} of {connections}");
        IReadOnlyList<BackendLogRecord> records = rig.Nginx.Records();
        var logged = records.Where(r => r.Client is not null).Select(r => r.Client!.Port).ToHashSet();
        Assert.Equal(connections, records.Count);
        Assert.Empty(wrongReplies);
        Assert.DoesNotContain(clientPorts, p => !logged.Contains(p));
        Assert.Empty(records.Where(r => r.Client is null || !r.Client.Address.Equals(DerivedClient.V4Address(r.Client.Port))).Select(r => r.Line));
    }

    [SkippableFact]
    public async Task Two_connections_with_the_same_client_address_and_port_both_succeed()
    {
        var sameClient = new IPEndPoint(IPAddress.Parse("203.0.113.77"), 5555);
        await using TransparentRig rig = TransparentRig.Start(
            AddressFamily.InterNetwork, ToaOptionWriters.Kind254V4((in FlowKey _) => (NetAddress.FromIPAddress(sameClient.Address), (ushort)sameClient.Port)));

        // Both open at once: two load-balancer nodes announcing the same client.
        Task<(IPEndPoint Local, string Response)>[] exchanges =
            [rig.ExchangeAsync(rig.PeerListener, "hello\n", Timeout), rig.ExchangeAsync(rig.PeerListener, "hello\n", Timeout)];
        string[] responses = (await Task.WhenAll(exchanges)).Select(e => e.Response).ToArray();

        Assert.All(responses, r => Assert.StartsWith($"peer {sameClient.Address}:", r));
        Assert.Contains($"peer {sameClient}\n", responses);
        Assert.Equal(2, rig.PeerServer.Peers.Count(p => p.Address.Equals(sameClient.Address)));
        Assert.Equal(1, rig.Counter("peername", "transparent_ephemeral_port"));
    }
}
