using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ToaProxy.Capture.Emulation;
using ToaProxy.Testing;
using ToaProxy.Tests.Reliability;

namespace ToaProxy.Tests.HttpMode;

/// <summary>
/// HTTP mode in front of a small Kestrel upstream: what the upstream receives (headers over HTTP/1.1
/// and h2c), WebSocket upgrade, and 50 MB streamed bodies in each direction.
/// </summary>
public sealed class HttpModeEchoTests
{
    private const long FiftyMegabytes = 50L * 1024 * 1024;
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(30);

    private static async Task<HttpModeStack<EchoUpstream>> StartAsync(Action<JsonObject>? http = null, bool h2c = false)
    {
        Requires.Root();
        Requires.Command("iptables");
        EchoUpstream echo = EchoUpstream.Start();
        return await HttpModeStack<EchoUpstream>.StartAsync(echo, h2c ? echo.H2cPort : echo.Port, ToaOptionWriters.Kind200V4(DerivedClient.V4), http);
    }

    private static ProxiedHttpClient ClientOf(HttpModeStack<EchoUpstream> stack) => new(new Uri($"http://127.0.0.1:{stack.Port}/"), Step);

    [SkippableFact]
    public async Task The_upstream_sees_the_emulated_client_and_none_of_the_clients_own_forwarded_headers()
    {
        await using var stack = await StartAsync();
        using var client = ClientOf(stack);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/headers");
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", "1.2.3.4");
        request.Headers.TryAddWithoutValidation("X-Forwarded-Host", "evil.test");
        request.Headers.TryAddWithoutValidation("X-Real-IP", "1.2.3.4");

        using HttpResponseMessage response = await client.Client.SendAsync(request);
        Dictionary<string, string> seen = EchoUpstream.ParseHeaders(await response.Content.ReadAsStringAsync());

        int port = Assert.Single(client.Connections).Port;
        Assert.Equal("HTTP/1.1", seen["protocol"]);
        Assert.Equal(DerivedClient.V4Address(port).ToString(), seen["X-Forwarded-For"]);
        Assert.Equal($"127.0.0.1:{stack.Port}", seen["X-Forwarded-Host"]);
        Assert.Equal($"127.0.0.1:{stack.Port}", seen["Host"]);
        Assert.Equal("http", seen["X-Forwarded-Proto"]);
        Assert.StartsWith($"for=\"{DerivedClient.V4Address(port)}:{port}\";", seen["Forwarded"]);
        Assert.False(seen.ContainsKey("X-Real-IP"));
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task With_wait_for_data_a_request_is_served_as_soon_as_it_is_answered_and_kestrel_reads_it_whole(bool toaOnSyn)
    {
        Requires.Root();
        Requires.Command("iptables");
        EchoUpstream echo = EchoUpstream.Start();
        // Without a load balancer the first data packet carries no TOA and the kernel filter keeps it
        // from the capture: the proxy learns of it from the connection itself. With TOA on the SYN the
        // answer is there at once and the watch on the connection is cancelled before Kestrel reads.
        await using var stack = await HttpModeStack<EchoUpstream>.StartAsync(echo, echo.Port, toaOnSyn ? ToaOptionWriters.Kind200V4(DerivedClient.V4) : null, config: (port, upstreamPort) =>
        {
            JsonObject section = HttpModeConfig.Create(port, upstreamPort);
            JsonNode listener = section["Listeners"]![0]!;
            listener["WaitForData"] = true;
            listener["ToaWait"] = "20s";
            return section;
        });
        using var client = new ProxiedHttpClient(new Uri($"http://127.0.0.1:{stack.Port}/"), TimeSpan.FromSeconds(15));

        Dictionary<string, string> seen = EchoUpstream.ParseHeaders(await client.Client.GetStringAsync("/headers"));
        Dictionary<string, string> again = EchoUpstream.ParseHeaders(await client.Client.GetStringAsync("/headers"));

        int port = Assert.Single(client.Connections).Port;
        string expected = toaOnSyn ? DerivedClient.V4Address(port).ToString() : "127.0.0.1";
        Assert.Equal(expected, seen["X-Forwarded-For"]);
        Assert.Equal(expected, again["X-Forwarded-For"]);
    }

    [SkippableFact]
    public async Task An_h2c_upstream_receives_http2_with_the_emulated_client()
    {
        await using var stack = await StartAsync(h => h["UpstreamProtocol"] = "h2c", h2c: true);
        using var client = ClientOf(stack);

        Dictionary<string, string> seen = EchoUpstream.ParseHeaders(await client.Client.GetStringAsync("/headers"));

        Assert.Equal("HTTP/2", seen["protocol"]);
        Assert.Equal(DerivedClient.V4Address(Assert.Single(client.Connections).Port).ToString(), seen["X-Forwarded-For"]);
    }

    [SkippableFact]
    public async Task A_websocket_upgrade_passes_through_and_echoes()
    {
        await using var stack = await StartAsync();
        using var client = ClientOf(stack);
        using var socket = new ClientWebSocket();
        using var timeout = new CancellationTokenSource(Step);

        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{stack.Port}/ws"), client.Client, timeout.Token);
        string greeting = await ReceiveTextAsync(socket, timeout.Token);
        var echoed = new List<string>();
        for (int i = 0; i < 20; i++)
        {
            string message = $"message {i} " + new string('x', i * 1000);
            await socket.SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, true, timeout.Token);
            Assert.Equal(message, await ReceiveTextAsync(socket, timeout.Token));
            echoed.Add(message);
        }

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);

        Assert.Equal(DerivedClient.V4Address(Assert.Single(client.Connections).Port).ToString(), greeting);
        Assert.Equal(20, echoed.Count);
        Assert.Equal(WebSocketState.Closed, socket.State);
    }

    [SkippableFact]
    public async Task A_50_mb_streamed_request_body_reaches_the_upstream_intact()
    {
        await using var stack = await StartAsync();
        using var client = ClientOf(stack);
        string expected = $"{FiftyMegabytes} {Convert.ToHexString(SHA256.HashData(new PatternStream(FiftyMegabytes)))}";

        using var content = new StreamContent(new PatternStream(FiftyMegabytes), 64 * 1024);
        using HttpResponseMessage response = await client.Client.PostAsync("/sha256", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, await response.Content.ReadAsStringAsync());
    }

    [SkippableFact]
    public async Task A_50_mb_streamed_response_body_reaches_the_client_intact()
    {
        await using var stack = await StartAsync();
        using var client = ClientOf(stack);
        byte[] expected = SHA256.HashData(new PatternStream(FiftyMegabytes));

        using HttpResponseMessage response = await client.Client.GetAsync($"/download/{FiftyMegabytes}", HttpCompletionOption.ResponseHeadersRead);
        await using Stream body = await response.Content.ReadAsStreamAsync();
        var counted = new CountingStream(body);
        byte[] actual = await SHA256.HashDataAsync(counted);

        Assert.Equal(FiftyMegabytes, counted.BytesRead);
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(actual));
    }

    [SkippableFact]
    public async Task A_closed_connections_wire_bytes_are_counted_both_ways()
    {
        const int Size = 5 * 1024 * 1024;
        Requires.Root();
        Requires.Command("iptables");
        AdminStatsReader? admin = null;
        EchoUpstream echo = EchoUpstream.Start();
        await using var stack = await HttpModeStack<EchoUpstream>.StartAsync(echo, echo.Port, ToaOptionWriters.Kind200V4(DerivedClient.V4), config: (port, upstreamPort) =>
        {
            JsonObject config = HttpModeConfig.Create(port, upstreamPort);
            admin = AdminStatsReader.EnableIn(config);
            return config;
        });
        using (admin)
        {
            using (var client = ClientOf(stack))
            {
                using var content = new StreamContent(new PatternStream(Size), 64 * 1024);
                using HttpResponseMessage upload = await client.Client.PostAsync("/sha256", content);
                Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
                byte[] download = await client.Client.GetByteArrayAsync($"/download/{Size}");
                Assert.Equal(Size, download.Length);
            }

            // Each way the body plus a few KB of headers (and chunk framing), never less than the body;
            // read once the connection is closed so that nothing is still in flight.
            Dictionary<string, long>? counters = Poll.Until(
                () => admin!.Read().Listeners[0].Counters is { } c && c["active"] == 0 && c["bytes_from_client"] > 0 ? c : null,
                Step);
            Assert.True(counters is not null, "the counters never showed the closed connection: " + string.Join(", ", admin!.Read().Listeners[0].Counters.Select(c => $"{c.Key}={c.Value}")));
            Assert.InRange(counters["bytes_from_client"], Size, Size + (64 * 1024));
            Assert.InRange(counters["bytes_from_upstream"], Size, Size + (64 * 1024));
        }
    }

    [SkippableFact]
    public async Task Sigterm_with_an_idle_keep_alive_connection_open_ends_the_proxy_cleanly()
    {
        await using var stack = await StartAsync();
        using var client = ClientOf(stack);
        Assert.Contains("X-Forwarded-For", await client.Client.GetStringAsync("/headers"), StringComparison.Ordinal);

        stack.Proxy.Process.Terminate();

        Assert.True(stack.Proxy.Process.WaitForExit(TimeSpan.FromSeconds(20)), stack.Proxy.Describe());
        Assert.Equal(0, stack.Proxy.Process.ExitCode);
        await Assert.ThrowsAsync<HttpRequestException>(() => client.Client.GetStringAsync("/headers"));
    }

    private static async Task<string> ReceiveTextAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        var text = new MemoryStream();
        byte[] buffer = new byte[16 * 1024];
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer, cancellationToken);
            text.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);

        return Encoding.UTF8.GetString(text.ToArray());
    }

    private sealed class CountingStream(Stream inner) : Stream
    {
        public long BytesRead { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => BytesRead;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Count(int n)
        {
            BytesRead += n;
            return n;
        }
    }
}
