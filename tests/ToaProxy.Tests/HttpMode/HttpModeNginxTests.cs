using System.Net;
using System.Text.Json.Nodes;
using ToaProxy.Capture.Emulation;
using ToaProxy.Testing;
using ToaProxy.Tests.EndToEnd;

namespace ToaProxy.Tests.HttpMode;

/// <summary>
/// HTTP mode end to end: the load-balancer emulator inserts TOA into real kernel packets, the
/// published toaproxy terminates HTTP and forwards with YARP, and a real nginx on a plain listen logs
/// the X-Forwarded-For / Forwarded it received.
/// </summary>
public sealed class HttpModeNginxTests
{
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(15);

    private static void RequireAll()
    {
        Requires.Root();
        Requires.Command("iptables");
        Requires.Command("nginx");
    }

    private static async Task<HttpModeStack<NginxBackend>> StartAsync(TcpOptionWriter? toa, Action<JsonObject>? http = null)
    {
        NginxBackend nginx = NginxBackend.StartPlainHttp();
        return await HttpModeStack<NginxBackend>.StartAsync(nginx, nginx.Port, toa, http);
    }

    private static async Task<(IPEndPoint Client, ForwardedLogRecord Record)> GetOnceAsync(HttpModeStack<NginxBackend> stack, Action<HttpRequestMessage>? request = null)
    {
        NginxBackend nginx = stack.Upstream;
        int port = stack.Port;
        using var client = new ProxiedHttpClient(new Uri($"http://127.0.0.1:{port}/"), Step);
        using var message = new HttpRequestMessage(HttpMethod.Get, "/");
        request?.Invoke(message);
        using HttpResponseMessage response = await client.Client.SendAsync(message);
        Assert.Equal(nginx.Body, await response.Content.ReadAsStringAsync());
        ForwardedLogRecord? record = Poll.Until(() => nginx.ForwardedRecords().FirstOrDefault(), Step);
        Assert.True(record is not null, $"nginx logged nothing.\n{nginx.Describe()}\n{stack.Proxy.Describe()}");
        return (Assert.Single(client.Connections), record!);
    }

    [SkippableFact]
    public async Task An_ipv4_toa_client_reaches_nginx_in_x_forwarded_for_and_forwarded()
    {
        RequireAll();
        await using var stack = await StartAsync(ToaOptionWriters.Kind200V4(DerivedClient.V4));

        (IPEndPoint local, ForwardedLogRecord record) = await GetOnceAsync(stack);

        IPAddress client = DerivedClient.V4Address(local.Port);
        Assert.Equal(client.ToString(), record.ForwardedFor);
        Assert.Equal($"for=\"{client}:{local.Port}\";host=\"127.0.0.1:{stack.Port}\";proto=http", record.Forwarded);
        Assert.Equal("http", record.ForwardedProto);
        Assert.Equal($"127.0.0.1:{stack.Port}", record.ForwardedHost);
    }

    [SkippableFact]
    public async Task A_nat64_ipv6_toa_client_reaches_nginx_with_a_quoted_bracketed_forwarded_node()
    {
        RequireAll();
        await using var stack = await StartAsync(ToaOptionWriters.Kind253V6(DerivedClient.V6));

        (IPEndPoint local, ForwardedLogRecord record) = await GetOnceAsync(stack);

        IPAddress client = DerivedClient.V6Address(local.Port);
        Assert.Equal(client.ToString(), record.ForwardedFor);
        Assert.StartsWith($"for=\"[{client}]:{local.Port}\";", record.Forwarded);
    }

    [SkippableFact]
    public async Task Ipv6_and_ipv4_wildcard_listeners_on_one_port_both_serve_and_an_ipv6_toa_client_is_forwarded()
    {
        RequireAll();
        NginxBackend nginx = NginxBackend.StartPlainHttp();
        await using var stack = await HttpModeStack<NginxBackend>.StartAsync(nginx, nginx.Port, ToaOptionWriters.Kind254V6(DerivedClient.V6), config: (port, upstream) =>
        {
            JsonObject config = HttpModeConfig.Create(port, upstream, listenAddress: "::");
            JsonObject v4 = config["Listeners"]![0]!.DeepClone().AsObject();
            v4["Name"] = "test4";
            v4["Listen"] = $"0.0.0.0:{port}";
            config["Listeners"]!.AsArray().Add(v4);
            return config;
        });
        using var v6Client = new ProxiedHttpClient(new Uri($"http://[::1]:{stack.Port}/"), Step);
        using var v4Client = new ProxiedHttpClient(new Uri($"http://127.0.0.1:{stack.Port}/"), Step);

        Assert.Equal(nginx.Body, await v6Client.Client.GetStringAsync("/"));
        Assert.Equal(nginx.Body, await v4Client.Client.GetStringAsync("/"));

        int port = Assert.Single(v6Client.Connections).Port;
        ForwardedLogRecord? record = Poll.Until(() => nginx.ForwardedRecords().FirstOrDefault(r => r.ForwardedForPort == port), Step);
        Assert.True(record is not null, nginx.Describe());
        Assert.Equal(DerivedClient.V6Address(port).ToString(), record!.ForwardedFor);
    }

    [SkippableFact]
    public async Task Without_toa_the_tcp_peer_is_the_forwarded_client()
    {
        RequireAll();
        await using var stack = await StartAsync(null);

        (IPEndPoint local, ForwardedLogRecord record) = await GetOnceAsync(stack);

        Assert.Equal("127.0.0.1", record.ForwardedFor);
        Assert.StartsWith($"for=\"127.0.0.1:{local.Port}\";", record.Forwarded);
    }

    [SkippableFact]
    public async Task Without_toa_and_policy_local_no_client_is_named_and_forged_headers_are_still_removed()
    {
        RequireAll();
        NginxBackend nginx = NginxBackend.StartPlainHttp();
        await using var stack = await HttpModeStack<NginxBackend>.StartAsync(nginx, nginx.Port, null, config: (port, upstream) =>
            ProxyConfig.Create(port, upstream, "afpacket", withoutToa: "local", queueNumber: KernelIds.NextQueue(), listener: l =>
            {
                l["Protocol"] = "http";
                l["Http"] = new JsonObject { ["Forwarded"] = true };
            }));

        (_, ForwardedLogRecord record) = await GetOnceAsync(stack, Forge);

        Assert.Equal(string.Empty, record.ForwardedFor);
        Assert.Equal($"host=\"127.0.0.1:{stack.Port}\";proto=http", record.Forwarded);
        Assert.Equal("http", record.ForwardedProto);
    }

    [SkippableFact]
    public async Task Without_toa_and_policy_reject_the_connection_is_closed_and_nothing_reaches_nginx()
    {
        RequireAll();
        NginxBackend nginx = NginxBackend.StartPlainHttp();
        await using var stack = await HttpModeStack<NginxBackend>.StartAsync(nginx, nginx.Port, null, config: (port, upstream) =>
            ProxyConfig.Create(port, upstream, "afpacket", withoutToa: "reject", queueNumber: KernelIds.NextQueue(), listener: l => l["Protocol"] = "http"));

        Exception? failure = await Record.ExceptionAsync(() => HttpThroughProxy.GetAsync(new IPEndPoint(IPAddress.Loopback, stack.Port), Step));

        Assert.True(failure is System.Net.Sockets.SocketException, $"expected a reset, got {failure?.ToString() ?? "a response"}");
        Assert.Empty(nginx.AccessLogLines());
    }

    [SkippableFact]
    public async Task Forwarded_headers_sent_by_an_untrusted_client_never_reach_the_upstream()
    {
        RequireAll();
        await using var stack = await StartAsync(ToaOptionWriters.Kind200V4(DerivedClient.V4));

        (IPEndPoint local, ForwardedLogRecord record) = await GetOnceAsync(stack, Forge);

        Assert.Equal(DerivedClient.V4Address(local.Port).ToString(), record.ForwardedFor);
        Assert.DoesNotContain("1.2.3.4", record.Line, StringComparison.Ordinal);
        Assert.Equal("http", record.ForwardedProto);
        Assert.Equal(string.Empty, record.RealIp);
    }

    [SkippableFact]
    public async Task A_trusted_peer_keeps_its_forwarded_headers_and_the_real_client_is_appended()
    {
        RequireAll();
        await using var stack = await StartAsync(ToaOptionWriters.Kind200V4(DerivedClient.V4), http: h => h["TrustForwardedHeadersFrom"] = new JsonArray("127.0.0.0/8"));

        (IPEndPoint local, ForwardedLogRecord record) = await GetOnceAsync(stack, Forge);

        IPAddress client = DerivedClient.V4Address(local.Port);
        Assert.Equal($"1.2.3.4, {client}", record.ForwardedFor);
        Assert.StartsWith($"for=1.2.3.4, for=\"{client}:{local.Port}\";", record.Forwarded);
        Assert.Equal("https, http", record.ForwardedProto);
        Assert.Equal("1.2.3.4", record.RealIp);
    }

    [SkippableFact]
    public async Task Every_request_on_one_keep_alive_connection_carries_that_connections_client()
    {
        RequireAll();
        const int requests = 50;
        await using var stack = await StartAsync(ToaOptionWriters.Kind200V4(DerivedClient.V4));
        using var client = new ProxiedHttpClient(new Uri($"http://127.0.0.1:{stack.Port}/"), Step);

        for (int i = 0; i < requests; i++)
        {
            Assert.Equal(stack.Upstream.Body, await client.Client.GetStringAsync($"/{i}"));
        }

        IPEndPoint connection = Assert.Single(client.Connections);
        Assert.True(Poll.Until(() => stack.Upstream.ForwardedRecords().Count >= requests, Step), stack.Upstream.Describe());
        IReadOnlyList<ForwardedLogRecord> records = stack.Upstream.ForwardedRecords();
        Assert.Equal(requests, records.Count);
        Assert.All(records, r => Assert.Equal(DerivedClient.V4Address(connection.Port).ToString(), r.ForwardedFor));
        Assert.All(records, r => Assert.Equal(connection.Port, r.ForwardedForPort));
    }

    [SkippableFact]
    public async Task Five_hundred_concurrent_connections_each_reach_nginx_with_their_own_client()
    {
        RequireAll();
        const int connections = 500;
        await using var stack = await StartAsync(ToaOptionWriters.Kind200V4(DerivedClient.V4));
        var target = new IPEndPoint(IPAddress.Loopback, stack.Port);

        (IPEndPoint Local, string Response)[] exchanges = await Task.WhenAll(
            Enumerable.Range(0, connections).Select(_ => HttpThroughProxy.GetAsync(target, TimeSpan.FromSeconds(60))));

        Assert.All(exchanges, e => Assert.Contains(stack.Upstream.Body, e.Response));
        Assert.True(Poll.Until(() => stack.Upstream.ForwardedRecords().Count >= connections, Step), $"nginx logged {stack.Upstream.ForwardedRecords().Count} of {connections}");
        IReadOnlyList<ForwardedLogRecord> records = stack.Upstream.ForwardedRecords();
        var wrong = records.Where(r => r.ForwardedForPort is not int p || r.ForwardedFor != DerivedClient.V4Address(p).ToString()).Select(r => r.Line).ToList();
        var loggedPorts = records.Select(r => r.ForwardedForPort).OfType<int>().ToHashSet();
        Assert.Equal(connections, records.Count);
        Assert.DoesNotContain(exchanges, e => !loggedPorts.Contains(e.Local.Port));
        Assert.True(wrong.Count == 0, $"{wrong.Count} requests did not carry their own client, e.g. {string.Join(" | ", wrong.Take(5))}");
    }

    private static void Forge(HttpRequestMessage request)
    {
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", "1.2.3.4");
        request.Headers.TryAddWithoutValidation("X-Forwarded-Proto", "https");
        request.Headers.TryAddWithoutValidation("Forwarded", "for=1.2.3.4");
        request.Headers.TryAddWithoutValidation("X-Real-IP", "1.2.3.4");
    }
}
