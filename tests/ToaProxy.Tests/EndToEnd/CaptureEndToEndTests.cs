using System.Net;
using ToaProxy.Capture.Emulation;
using ToaProxy.Capture.Iptables;
using ToaProxy.Testing;

namespace ToaProxy.Tests.EndToEnd;

/// <summary>
/// The product's main job, end to end with real components: the load-balancer emulator inserts TOA
/// into real kernel packets on loopback, the published toaproxy captures it (with each backend) and
/// writes PROXY v2, and a real nginx or HAProxy logs the client it was given.
/// </summary>
public sealed class CaptureEndToEndTests
{
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(15);

    private static void RequireAll(string backendServer)
    {
        Requires.Root();
        Requires.Command("iptables");
        Requires.Command(backendServer);
    }

    private static ToaproxyProcess StartProxy(int port, int upstreamPort, string backend, string withoutToa = "peer", string[]? trusted = null, string listenAddress = "127.0.0.1") =>
        ToaproxyProcess.Start(ProxyConfig.Create(port, upstreamPort, backend, withoutToa, trusted, listenAddress, KernelIds.NextQueue()));


    private static async Task<BackendLogRecord> RequestAndFindAsync(IProxyProtocolBackend server, IPEndPoint proxy, Func<IPEndPoint, Func<BackendLogRecord, bool>> match, ToaproxyProcess toaproxy)
    {
        (IPEndPoint local, string response) = await HttpThroughProxy.GetAsync(proxy, Step);
        Assert.Contains(server.Body, response);
        BackendLogRecord? record = server.WaitForRecord(match(local), Step);
        Assert.True(record is not null, $"{server.Name} logged no matching line for client {local}.\n{server.Describe()}\n{toaproxy.Describe()}");
        return record!;
    }

    [SkippableTheory]
    [InlineData("afpacket")]
    [InlineData("pcap")]
    [InlineData("nfqueue")]
    public async Task Hybrid_cloud_kind_200_on_the_syn_reaches_nginx_as_the_real_client(string backend)
    {
        RequireAll("nginx");
        using var nginx = NginxBackend.Start();
        int port = FreePort.Allocate();
        await using var lb = LoadBalancerEmulator.Start(port, ToaOptionWriters.Kind200V4(DerivedClient.V4), ToaInjectionPackets.Syn);
        using var proxy = StartProxy(port, nginx.Port, backend);

        BackendLogRecord record = await RequestAndFindAsync(nginx, new IPEndPoint(IPAddress.Loopback, port), local => r => r.Client?.Port == local.Port, proxy);

        Assert.Equal(DerivedClient.V4Address(record.Client!.Port), record.Client.Address);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, port), record.Server);
    }

    [SkippableTheory]
    [InlineData("afpacket")]
    [InlineData("pcap")]
    [InlineData("nfqueue")]
    public async Task Classic_lvs_kind_254_on_the_handshake_ack_and_first_data_reaches_haproxy(string backend)
    {
        RequireAll("haproxy");
        using var haproxy = HaproxyBackend.Start();
        int port = FreePort.Allocate();
        await using var lb = LoadBalancerEmulator.Start(port, ToaOptionWriters.Kind254V4(DerivedClient.V4), ToaInjectionPackets.HandshakeAckAndFirstData);
        using var proxy = StartProxy(port, haproxy.Port, backend);

        BackendLogRecord record = await RequestAndFindAsync(haproxy, new IPEndPoint(IPAddress.Loopback, port), local => r => r.Client?.Port == local.Port, proxy);

        Assert.Equal(DerivedClient.V4Address(record.Client!.Port), record.Client.Address);
    }

    [SkippableTheory]
    [InlineData("afpacket")]
    [InlineData("pcap")]
    [InlineData("nfqueue")]
    public async Task Nat64_kind_253_carries_an_ipv6_client_over_an_ipv4_connection(string backend)
    {
        RequireAll("nginx");
        using var nginx = NginxBackend.Start();
        int port = FreePort.Allocate();
        await using var lb = LoadBalancerEmulator.Start(port, ToaOptionWriters.Kind253V6(DerivedClient.V6), ToaInjectionPackets.Syn);
        using var proxy = StartProxy(port, nginx.Port, backend);

        BackendLogRecord record = await RequestAndFindAsync(nginx, new IPEndPoint(IPAddress.Loopback, port), local => r => r.Client?.Port == local.Port, proxy);

        Assert.Equal(DerivedClient.V6Address(record.Client!.Port), record.Client.Address);
        Assert.Equal(IPAddress.Parse($"::ffff:127.0.0.1"), record.Server!.Address);
    }

    [SkippableFact]
    public async Task An_ipv6_connection_with_kind_254_length_20_reaches_nginx_with_its_ipv6_client()
    {
        RequireAll("nginx");
        using var nginx = NginxBackend.Start();
        int port = FreePort.Allocate();
        await using var lb = LoadBalancerEmulator.Start(port, ToaOptionWriters.Kind254V6(DerivedClient.V6), ToaInjectionPackets.Syn);
        using var proxy = StartProxy(port, nginx.Port, "afpacket", listenAddress: "::1");

        BackendLogRecord record = await RequestAndFindAsync(nginx, new IPEndPoint(IPAddress.IPv6Loopback, port), local => r => r.Client?.Port == local.Port, proxy);

        Assert.Equal(DerivedClient.V6Address(record.Client!.Port), record.Client.Address);
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, port), record.Server);
    }

    [SkippableFact]
    public async Task Without_toa_and_policy_peer_the_tcp_peer_is_the_client()
    {
        RequireAll("nginx");
        using var nginx = NginxBackend.Start();
        int port = FreePort.Allocate();
        using var proxy = StartProxy(port, nginx.Port, "afpacket", withoutToa: "peer");

        BackendLogRecord record = await RequestAndFindAsync(nginx, new IPEndPoint(IPAddress.Loopback, port), local => r => r.Client?.Port == local.Port, proxy);

        Assert.Equal(IPAddress.Loopback, record.Client!.Address);
    }

    [SkippableFact]
    public async Task Without_toa_and_policy_local_the_backend_gets_a_local_header()
    {
        RequireAll("haproxy");
        using var haproxy = HaproxyBackend.Start();
        int port = FreePort.Allocate();
        using var proxy = StartProxy(port, haproxy.Port, "afpacket", withoutToa: "local");

        (IPEndPoint local, string response) = await HttpThroughProxy.GetAsync(new IPEndPoint(IPAddress.Loopback, port), Step);
        BackendLogRecord? record = haproxy.WaitForRecord(_ => true, Step);

        Assert.Contains(haproxy.Body, response);
        Assert.NotNull(record);
        // LOCAL: HAProxy uses the connection's own endpoints, i.e. the proxy's upstream socket, not the client.
        Assert.NotEqual(local.Port, record!.Client!.Port);
        Assert.Equal(haproxy.Port, record.Server!.Port);
    }

    [SkippableFact]
    public async Task Without_toa_and_policy_reject_the_connection_is_closed_and_nothing_reaches_the_backend()
    {
        RequireAll("nginx");
        using var nginx = NginxBackend.Start();
        int port = FreePort.Allocate();
        using var proxy = StartProxy(port, nginx.Port, "afpacket", withoutToa: "reject");

        Exception? failure = await Record.ExceptionAsync(() => HttpThroughProxy.GetAsync(new IPEndPoint(IPAddress.Loopback, port), Step));

        Assert.True(failure is System.Net.Sockets.SocketException, $"expected a reset, got {failure?.ToString() ?? "a response"}");
        Assert.Null(nginx.WaitForRecord(_ => true, TimeSpan.FromSeconds(1)));
    }

    [SkippableFact]
    public async Task Toa_from_an_untrusted_source_is_ignored()
    {
        RequireAll("nginx");
        using var nginx = NginxBackend.Start();
        int port = FreePort.Allocate();
        await using var lb = LoadBalancerEmulator.Start(port, ToaOptionWriters.Kind200V4(DerivedClient.V4), ToaInjectionPackets.Syn);
        using var proxy = StartProxy(port, nginx.Port, "afpacket", trusted: ["192.0.2.0/24"]);

        BackendLogRecord record = await RequestAndFindAsync(nginx, new IPEndPoint(IPAddress.Loopback, port), local => r => r.Client?.Port == local.Port, proxy);

        Assert.Equal(IPAddress.Loopback, record.Client!.Address);
        Assert.True(lb.PacketsRewritten > 0, "the emulator did insert the option");
    }

    [SkippableFact]
    public async Task A_malformed_toa_is_ignored()
    {
        RequireAll("nginx");
        using var nginx = NginxBackend.Start();
        int port = FreePort.Allocate();
        // Kind 200 with length 7: an enabled kind with a length no layout has.
        await using var lb = LoadBalancerEmulator.Start(port, ToaOptionWriters.Raw([200, 7, 0x1F, 0x90, 203, 0, 113]), ToaInjectionPackets.Syn);
        using var proxy = StartProxy(port, nginx.Port, "afpacket");

        BackendLogRecord record = await RequestAndFindAsync(nginx, new IPEndPoint(IPAddress.Loopback, port), local => r => r.Client?.Port == local.Port, proxy);

        Assert.Equal(IPAddress.Loopback, record.Client!.Address);
        Assert.True(lb.PacketsRewritten > 0, "the emulator did insert the option");
    }

    [SkippableFact]
    public void Managed_nfqueue_rules_exist_while_running_and_are_removed_on_sigterm()
    {
        RequireAll("nginx");
        using var nginx = NginxBackend.Start();
        int port = FreePort.Allocate();
        ushort queue = KernelIds.NextQueue();
        string tag = $"capture-q{queue}";
        try
        {
            using var proxy = ToaproxyProcess.Start(ProxyConfig.Create(port, nginx.Port, "nfqueue", queueNumber: queue));
            IReadOnlyList<string> installed = IptablesRuleSet.ListTagged(tag);
            Assert.Contains(installed, r => r.Contains($"--dport {port}", StringComparison.Ordinal) && r.Contains("--queue-bypass", StringComparison.Ordinal));

            proxy.Process.Terminate();
            Assert.True(proxy.Process.WaitForExit(TimeSpan.FromSeconds(20)), proxy.Describe());
            Assert.Equal(0, proxy.Process.ExitCode);
            Assert.Empty(IptablesRuleSet.ListTagged(tag));
        }
        finally
        {
            IptablesRuleSet.RemoveAllTagged(tag);
        }
    }

    [SkippableTheory]
    [InlineData("127.0.0.1")]
    [InlineData("localhost")]
    public async Task With_wait_for_data_the_upstream_is_connected_once_the_first_data_arrives_even_without_toa(string upstreamHost)
    {
        Requires.Root();
        using var upstream = new ScriptedUpstream();
        int port = FreePort.Allocate();
        using var proxy = ToaproxyProcess.Start(ProxyConfig.Create(port, upstream.Port, "afpacket", upstreamHost: upstreamHost, listener: l =>
        {
            l["WaitForData"] = true;
            l["ToaWait"] = "20s";
        }));

        using var client = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        Task<UpstreamConnection> accepted = upstream.AcceptAsync(Step);
        // The resolution is not answered inline: the proxy waits for the first data packet.
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.False(accepted.IsCompleted, "the upstream was connected before the client's first data packet");

        // The kernel filter keeps this packet (no TCP options but timestamps) from the capture; the
        // proxy learns of it from the client socket and answers then, not when ToaWait (20 s) ends.
        await SocketStreams.SendAllAsync(client, "first data"u8.ToArray(), Step);
        using UpstreamConnection conn = await accepted;
        byte[] data = await SocketStreams.ReadExactlyAsync(conn.Socket, 10 - conn.Leftover.Length, Step);

        Assert.Equal(((IPEndPoint)client.LocalEndPoint!).Port, conn.Header.SourcePort);
        Assert.Equal("first data", System.Text.Encoding.ASCII.GetString([.. conn.Leftover, .. data]));
        Assert.NotNull(proxy.Process.WaitForOutputLine(l => l.Contains("(TOA NoToa)", StringComparison.Ordinal), Step));
    }

    [SkippableTheory]
    [InlineData("127.0.0.1")]
    [InlineData("localhost")]
    public async Task With_wait_for_data_toa_on_the_syn_is_used_at_once_and_every_byte_is_relayed(string upstreamHost)
    {
        RequireAll("iptables");
        using var upstream = new ScriptedUpstream();
        int port = FreePort.Allocate();
        await using var lb = LoadBalancerEmulator.Start(port, ToaOptionWriters.Kind200V4(DerivedClient.V4), ToaInjectionPackets.Syn);
        using var proxy = ToaproxyProcess.Start(ProxyConfig.Create(port, upstream.Port, "afpacket", upstreamHost: upstreamHost, queueNumber: KernelIds.NextQueue(), listener: l =>
        {
            l["WaitForData"] = true;
            l["ToaWait"] = "20s";
        }));

        // The SYN's TOA answers at once: the proxy connects upstream before the client sends anything,
        // and the watch it kept on the client socket for the first data is dropped without taking any.
        using var client = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        using UpstreamConnection conn = await upstream.AcceptAsync(Step);
        await SocketStreams.SendAllAsync(client, "first data"u8.ToArray(), Step);
        client.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        byte[] data = await SocketStreams.ReadToEndAsync(conn.Socket, Step, conn.Leftover);

        int localPort = ((IPEndPoint)client.LocalEndPoint!).Port;
        Assert.Equal(new IPEndPoint(DerivedClient.V4Address(localPort), localPort), new IPEndPoint(conn.Header.Source.ToIPAddress(), conn.Header.SourcePort));
        Assert.Equal("first data", System.Text.Encoding.ASCII.GetString(data));
    }

    [SkippableFact]
    public async Task With_destination_vip_the_header_names_the_load_balancers_vip_and_carries_the_vpc_id()
    {
        RequireAll("iptables");
        using var upstream = new ScriptedUpstream();
        int port = FreePort.Allocate();
        // Alibaba vtoa 252/20: client 203.0.113.7:12345, VPC id 0x1234, VIP 198.51.100.80:443.
        byte[] option = [252, 20, 0x30, 0x39, 203, 0, 113, 7, 0, 0, 0x12, 0x34, 198, 51, 100, 80, 0x01, 0xBB, 0, 0];
        await using var lb = LoadBalancerEmulator.Start(port, ToaOptionWriters.Raw(option), ToaInjectionPackets.Syn);
        using var proxy = ToaproxyProcess.Start(ProxyConfig.Create(port, upstream.Port, "afpacket", queueNumber: KernelIds.NextQueue(), listener: l =>
        {
            l["Destination"] = "vip";
            l["Tlvs"] = new System.Text.Json.Nodes.JsonArray("vpc-id", "crc32c");
            l["VpcIdTlvType"] = 0xE5;
        }));

        using var client = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        using UpstreamConnection conn = await upstream.AcceptAsync(Step);
        ToaProxy.Protocol.ProxyV2ReadResult parsed = ToaProxy.Protocol.ProxyV2Reader.Read(conn.HeaderBytes);

        Assert.Equal(new IPEndPoint(IPAddress.Parse("203.0.113.7"), 12345), new IPEndPoint(conn.Header.Source.ToIPAddress(), conn.Header.SourcePort));
        Assert.Equal(new IPEndPoint(IPAddress.Parse("198.51.100.80"), 443), new IPEndPoint(conn.Header.Destination.ToIPAddress(), conn.Header.DestinationPort));
        Assert.True(parsed.TryGetTlv(conn.HeaderBytes, 0xE5, out ReadOnlySpan<byte> vpc));
        Assert.Equal(new byte[] { 0, 0, 0x12, 0x34 }, vpc.ToArray());
    }
}
