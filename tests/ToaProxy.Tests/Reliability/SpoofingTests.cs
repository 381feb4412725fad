using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ToaProxy.Capture.Emulation;
using ToaProxy.Protocol;
using ToaProxy.Testing;
using ToaProxy.Tests.EndToEnd;

namespace ToaProxy.Tests.Reliability;

/// <summary>
/// A client must not be able to choose the address the backend sees: TOA is believed only from
/// Capture:TrustedSources, and a PROXY header a client sends itself is just data behind the proxy's
/// own header, so the PROXY-aware backend (real nginx / HAProxy) sees two headers and rejects.
/// </summary>
public sealed class SpoofingTests
{
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(15);

    // The load balancer's SNAT address is 127.0.0.1; a client that reaches the proxy directly comes from 127.0.0.2.
    private static readonly IPAddress LoadBalancer = IPAddress.Loopback;
    private static readonly IPAddress DirectClient = IPAddress.Parse("127.0.0.2");
    private static readonly IPAddress Forged = IPAddress.Parse("198.51.100.66");

    public static TheoryData<string, string> CapturesAndServers()
    {
        var data = new TheoryData<string, string>();
        foreach (string capture in (string[])["afpacket", "pcap", "nfqueue"])
        {
            data.Add(capture, "nginx");
            data.Add(capture, "haproxy");
        }

        return data;
    }

    public static TheoryData<string, string> ForgedHeadersAndServers() => new()
    {
        { "v1", "nginx" },
        { "v1", "haproxy" },
        { "v2", "nginx" },
        { "v2", "haproxy" },
    };

    [SkippableTheory]
    [MemberData(nameof(CapturesAndServers))]
    public async Task Toa_from_a_source_outside_trusted_sources_never_reaches_the_backend(string capture, string server)
    {
        // Every connection to the port gets TOA on every handshake packet, whoever sends it.
        await using var rig = StartBehindLoadBalancer(server, capture, ToaInjectionPackets.All);
        (IPEndPoint viaLb, _) = await HttpThroughProxy.GetAsync(rig.Target, Step, source: LoadBalancer);
        (IPEndPoint direct, _) = await HttpThroughProxy.GetAsync(rig.Target, Step, source: DirectClient);


        BackendLogRecord trusted = rig.WaitForPort(viaLb.Port);
        BackendLogRecord untrusted = rig.WaitForPort(direct.Port);
        Assert.Equal(DerivedClient.V4Address(viaLb.Port), trusted.Client!.Address);
        Assert.Equal(DirectClient, untrusted.Client!.Address);
        Assert.True(rig.Lb.PacketsRewritten >= 2, $"the emulator inserted TOA into {rig.Lb.PacketsRewritten} packets");
        Assert.True(rig.Admin.Read().Capture.Counters["untrusted"] >= 1, "the untrusted option was counted");
    }

    [SkippableTheory]
    [MemberData(nameof(ForgedHeadersAndServers))]
    public async Task A_proxy_header_sent_by_the_client_is_relayed_as_data_and_the_backend_rejects_it(string forged, string server)
    {
        await using var rig = StartBehindLoadBalancer(server, "afpacket", ToaInjectionPackets.Syn);
        (IPEndPoint local, string response) = await HttpThroughProxy.GetAsync(rig.Target, Step, ForgedHeader(forged));

        Assert.StartsWith("HTTP/1.1 400", response, StringComparison.Ordinal);
        Assert.DoesNotContain(rig.Backend.Body, response);
        BackendLogRecord record = rig.WaitForPort(local.Port);
        Assert.Equal(DerivedClient.V4Address(local.Port), record.Client!.Address);
        Assert.Equal("400", record.Field("status"));
        Assert.DoesNotContain(rig.Backend.Records(), r => Forged.Equals(r.Client?.Address));
    }

    [Fact]
    public async Task The_upstream_receives_the_clients_proxy_header_verbatim_after_the_proxys_own()
    {
        using var upstream = new ScriptedUpstream();
        int port = FreePort.Allocate();
        using var proxy = ToaproxyProcess.Start(ProxyConfig.Create(port, upstream.Port));
        byte[] forged = [.. ForgedHeader("v2"), .. ForgedHeader("v1"), .. "payload"u8];

        using var client = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        await SocketStreams.SendAllAsync(client, forged, Step);
        client.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        using UpstreamConnection conn = await upstream.AcceptAsync(Step);
        byte[] data = await SocketStreams.ReadToEndAsync(conn.Socket, Step, conn.Leftover);

        Assert.Equal(((IPEndPoint)client.LocalEndPoint!).Port, conn.Header.SourcePort);
        Assert.Equal(IPAddress.Loopback, conn.Header.Source.ToIPAddress());
        Assert.Equal(forged, data);
    }

    /// <summary>nginx or HAProxy behind the published proxy (capture <paramref name="capture"/>, trusting only
    /// 127.0.0.1), with the load-balancer emulator inserting TOA into every connection to the proxy's port.</summary>
    private static Rig StartBehindLoadBalancer(string server, string capture, ToaInjectionPackets packets)
    {
        Requires.Root();
        Requires.Command("iptables");
        IProxyProtocolBackend backend = server == "nginx" ? NginxBackend.Start() : HaproxyBackend.Start();
        LoadBalancerEmulator? lb = null;
        AdminStatsReader? admin = null;
        try
        {
            int port = FreePort.Allocate();
            lb = LoadBalancerEmulator.Start(port, ToaOptionWriters.Kind200V4(DerivedClient.V4), packets);
            JsonObject config = ProxyConfig.Create(port, backend.Port, capture, trusted: [$"{LoadBalancer}/32"], queueNumber: KernelIds.NextQueue());
            admin = AdminStatsReader.EnableIn(config);
            return new Rig(backend, lb, ToaproxyProcess.Start(config), admin, new IPEndPoint(IPAddress.Loopback, port));
        }
        catch
        {
            admin?.Dispose();
            lb?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            backend.Dispose();
            throw;
        }
    }

    /// <summary>A PROXY header claiming the client is 198.51.100.66:4444.</summary>
    private static byte[] ForgedHeader(string version)
    {
        if (version == "v1")
        {
            return Encoding.ASCII.GetBytes($"PROXY TCP4 {Forged} 127.0.0.1 4444 80\r\n");
        }

        ProxyHeader header = ProxyHeader.Tcp(NetAddress.FromIPAddress(Forged), 4444, NetAddress.FromIPAddress(IPAddress.Loopback), 80);
        byte[] buffer = new byte[ProxyV2Writer.GetLength(header)];
        ProxyV2Writer.Write(header, buffer);
        return buffer;
    }

    private sealed record Rig(IProxyProtocolBackend Backend, LoadBalancerEmulator Lb, ToaproxyProcess Proxy, AdminStatsReader Admin, IPEndPoint Target) : IAsyncDisposable
    {
        public BackendLogRecord WaitForPort(int port)
        {
            BackendLogRecord? record = Backend.WaitForRecord(r => r.Client?.Port == port, Step);
            Assert.True(record is not null, $"{Backend.Name} logged no line for client port {port}.\n{Backend.Describe()}\n{Proxy.Describe()}");
            return record!;
        }

        public async ValueTask DisposeAsync()
        {
            Proxy.Dispose();
            Admin.Dispose();
            await Lb.DisposeAsync();
            Backend.Dispose();
        }
    }
}
