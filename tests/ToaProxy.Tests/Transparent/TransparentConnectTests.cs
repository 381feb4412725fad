using System.Net;
using System.Net.Sockets;
using System.Text;
using ToaProxy.Configuration;
using ToaProxy.Testing;
using ToaProxy.Transparent;

namespace ToaProxy.Tests.Transparent;

/// <summary>The socket and routing layer of transparent mode, in a namespace the test creates: a
/// connection bound to a client address the host does not own reaches a local server, which sees
/// that client, and the server's replies come back through the policy routing.</summary>
public sealed class TransparentConnectTests
{
    private static readonly TransparentSettings Settings = TransparentSettings.Default;

    [SkippableTheory]
    [InlineData("203.0.113.7")]
    [InlineData("2001:db8:7:a::7")]
    public async Task A_connection_from_a_foreign_client_address_reaches_the_server_and_gets_its_replies(string clientText)
    {
        Requires.Command("iptables");
        using NetworkNamespace ns = NetworkNamespace.CreateWithUplink();
        var client = new IPEndPoint(IPAddress.Parse(clientText), 40001);
        AddressFamily family = client.AddressFamily;
        IPAddress serverAddress = family == AddressFamily.InterNetworkV6 ? ns.IPv6 : ns.IPv4;
        var routing = new TransparentRouting(Settings, [family]);
        ns.Enter(() => { routing.Install(); return 0; });
        Assert.Empty(await ns.Enter(() => TransparentRouting.FindMissingAsync(Settings, family)));

        using Socket listener = ns.Enter(() => Listen(serverAddress));
        var server = (IPEndPoint)listener.LocalEndPoint!;
        (Socket first, bool firstOwnPort) = ns.Enter(() => Connect(client, server));
        (Socket second, bool secondOwnPort) = ns.Enter(() => Connect(client, server));
        using (first)
        using (second)
        {
            Assert.True(firstOwnPort);
            Assert.False(secondOwnPort);
            using Socket acceptedFirst = await listener.AcceptAsync().WaitAsync(TimeSpan.FromSeconds(10));
            using Socket acceptedSecond = await listener.AcceptAsync().WaitAsync(TimeSpan.FromSeconds(10));
            var peers = new[] { (IPEndPoint)acceptedFirst.RemoteEndPoint!, (IPEndPoint)acceptedSecond.RemoteEndPoint! };

            Assert.All(peers, p => Assert.Equal(client.Address, p.Address));
            Assert.Contains(peers, p => p.Port == client.Port);
            Assert.Contains(peers, p => p.Port != client.Port);
            foreach (Socket accepted in (Socket[])[acceptedFirst, acceptedSecond])
            {
                await accepted.SendAsync(Encoding.ASCII.GetBytes($"you are {accepted.RemoteEndPoint}"));
            }

            foreach (Socket connected in (Socket[])[first, second])
            {
                byte[] buffer = new byte[100];
                int n = await connected.ReceiveAsync(buffer).WaitAsync(TimeSpan.FromSeconds(10));
                Assert.Equal($"you are {connected.LocalEndPoint}", Encoding.ASCII.GetString(buffer, 0, n));
            }
        }

        ns.Enter(() => { routing.Remove(); return 0; });
        Assert.Equal(5, (await ns.Enter(() => TransparentRouting.FindMissingAsync(Settings, family))).Count);
        Assert.DoesNotContain("toaproxy:", ns.Exec(family == AddressFamily.InterNetworkV6 ? "ip6tables" : "iptables", "-t", "mangle", "-S"));
    }

    [SkippableFact]
    public async Task Replies_of_a_backend_in_another_namespace_come_back_through_the_prerouting_rule()
    {
        Requires.Command("iptables");
        using NetworkNamespace ns = NetworkNamespace.CreateWithUplink();
        using NetworkNamespace backendNs = NetworkNamespace.CreateWithUplink();
        // A container beside the proxy: its own namespace, a veth to the proxy's, its default route back to it.
        ns.Ip("link", "add", "vb0", "type", "veth", "peer", "name", "vb1", "netns", backendNs.Name);
        ns.Ip("addr", "add", "203.0.113.249/30", "dev", "vb0");
        ns.Ip("link", "set", "vb0", "up");
        backendNs.Ip("addr", "add", "203.0.113.250/30", "dev", "vb1");
        backendNs.Ip("link", "set", "vb1", "up");
        backendNs.Ip("-4", "route", "replace", "default", "via", "203.0.113.249");
        var routing = new TransparentRouting(Settings, [AddressFamily.InterNetwork]);
        ns.Enter(() => { routing.Install(); return 0; });

        using Socket listener = backendNs.Enter(() => Listen(IPAddress.Parse("203.0.113.250")));
        var client = new IPEndPoint(IPAddress.Parse("203.0.113.7"), 40002);
        (Socket connected, bool ownPort) = ns.Enter(() => Connect(client, (IPEndPoint)listener.LocalEndPoint!));
        using (connected)
        {
            using Socket accepted = await listener.AcceptAsync().WaitAsync(TimeSpan.FromSeconds(10));
            await accepted.SendAsync(Encoding.ASCII.GetBytes($"you are {accepted.RemoteEndPoint}"));
            byte[] buffer = new byte[100];
            int n = await connected.ReceiveAsync(buffer).WaitAsync(TimeSpan.FromSeconds(10));

            Assert.True(ownPort);
            Assert.Equal(client, accepted.RemoteEndPoint);
            Assert.Equal($"you are {client}", Encoding.ASCII.GetString(buffer, 0, n));
        }
    }

    private static Socket Listen(IPAddress address)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(address, 0));
        socket.Listen(16);
        return socket;
    }

    // Inside the namespace: the sockets are created there (the second one after the first connect failed synchronously).
    private static (Socket Socket, bool OwnPort) Connect(IPEndPoint client, IPEndPoint server) =>
        TransparentUpstreamSocket.ConnectAsync(client, server, Settings.SocketMark, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
}
