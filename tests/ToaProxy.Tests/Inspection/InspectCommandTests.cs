using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using ToaProxy.Capture.Emulation;
using ToaProxy.Cli;
using ToaProxy.Protocol;
using ToaProxy.Testing;

namespace ToaProxy.Tests.Inspection;

/// <summary>
/// <c>toaproxy inspect</c> on capture files holding one connection per outcome: TOA on SYN, on ACK and
/// data (IPv6, NAT64 kind 253), no option, malformed, untrusted source, TCP Fast Open cookie — as
/// hand-built pcap and pcapng files, and as a real tcpdump capture of the emulator's packets.
/// </summary>
public sealed class InspectCommandTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 11, 25, 8, 0, 0, TimeSpan.Zero);
    private static readonly IPEndPoint Server = new(IPAddress.Parse("203.0.113.80"), 8080);
    private static readonly IPEndPoint Server6 = new(IPAddress.Parse("2001:db8::80"), 8080);
    private static readonly IPAddress Balancer = IPAddress.Parse("198.51.100.10");
    private static readonly IPAddress Balancer6 = IPAddress.Parse("2001:db8:100::10");
    private static readonly IPAddress Stranger = IPAddress.Parse("198.51.100.200");
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("toaproxy-inspect-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Every_connection_is_listed_with_its_toa_or_the_reason_it_has_none(bool pcapNg)
    {
        string file = WriteCapture(pcapNg);

        (int exit, string output, string errors) = Inspect(file, Config(), json: true);

        Assert.True(exit == 0, errors);
        JsonArray flows = JsonNode.Parse(output)!["flows"]!.AsArray();
        Assert.Equal(7, flows.Count);
        JsonNode Flow(string client) => flows.Single(f => (string)f!["client"]! == client)!;

        JsonNode syn = Flow("198.51.100.10:40001");
        Assert.Equal("toa", (string)syn["status"]!);
        Assert.Equal(200, (int)syn["kind"]!);
        Assert.Equal(8, (int)syn["length"]!);
        Assert.Equal("203.0.113.7:51001", (string)syn["realClient"]!);
        Assert.Equal(["syn", "ack"], syn["seenOn"]!.AsArray().Select(r => (string)r!));
        Assert.Equal("203.0.113.80:8080", (string)syn["server"]!);

        JsonNode nat64 = Flow("[2001:db8:100::10]:40002");
        Assert.Equal("toa", (string)nat64["status"]!);
        Assert.Equal(253, (int)nat64["kind"]!);
        Assert.Equal("[2001:db8:64::7]:51002", (string)nat64["realClient"]!);
        Assert.Equal(["ack", "data"], nat64["seenOn"]!.AsArray().Select(r => (string)r!));

        Assert.Equal("no option", (string)Flow("198.51.100.10:40003")["reason"]!);
        Assert.Equal("malformed (kind 200 length 7)", (string)Flow("198.51.100.10:40004")["reason"]!);
        Assert.Equal("untrusted source 198.51.100.200", (string)Flow("198.51.100.200:40005")["reason"]!);
        Assert.Equal("TFO cookie", (string)Flow("198.51.100.10:40006")["reason"]!);

        // Caught mid-connection from the server's side: still oriented client -> server.
        JsonNode midway = Flow("198.51.100.10:40007");
        Assert.Equal("203.0.113.80:8080", (string)midway["server"]!);
        Assert.Equal("no option", (string)midway["reason"]!);
    }

    [Fact]
    public void The_table_is_aligned_and_names_each_reason()
    {
        string file = WriteCapture(pcapNg: false);

        (int exit, string output, _) = Inspect(file, Config(), json: false);

        Assert.Equal(0, exit);
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string header = lines[1];
        Assert.StartsWith("CLIENT (TCP PEER)", header);
        int resultColumn = header.IndexOf("RESULT", StringComparison.Ordinal);
        string[] rows = [.. lines.Skip(2).Where(l => !l.StartsWith("summary:", StringComparison.Ordinal))];
        Assert.Equal(7, rows.Length);
        Assert.All(rows, row => Assert.NotEqual(' ', row[resultColumn]));
        Assert.All(rows, row => Assert.Equal(' ', row[resultColumn - 1]));
        Assert.Contains(rows, r => r.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [_, _, "200/8", "203.0.113.7:51001", "syn,ack", "ok"]);
        Assert.Contains(rows, r => r.EndsWith("malformed (kind 200 length 7)", StringComparison.Ordinal));
        Assert.Contains(rows, r => r.EndsWith("untrusted source 198.51.100.200", StringComparison.Ordinal));
        Assert.Contains(rows, r => r.EndsWith("TFO cookie", StringComparison.Ordinal));
        Assert.Contains(rows, r => r.EndsWith("no option", StringComparison.Ordinal));
        Assert.Equal("summary: 2 toa, 1 untrusted, 1 malformed, 1 tfo-cookie, 2 no-option", lines[^1]);
    }

    [Fact]
    public void Without_a_config_every_source_is_trusted_and_port_filters_connections()
    {
        string file = WriteCapture(pcapNg: false);

        (int exit, string output, _) = Inspect(file, config: null, json: true, port: 8080);
        (int otherExit, string other, _) = Inspect(file, config: null, json: true, port: 9999);

        Assert.Equal(0, exit);
        JsonArray flows = JsonNode.Parse(output)!["flows"]!.AsArray();
        Assert.Equal("toa", (string)flows.Single(f => (string)f!["client"]! == "198.51.100.200:40005")!["status"]!);
        Assert.Equal(0, otherExit);
        Assert.Empty(JsonNode.Parse(other)!["flows"]!.AsArray());
    }

    [Fact]
    public void A_missing_file_is_an_error_not_a_crash()
    {
        (int exit, _, string errors) = Inspect(Path.Combine(_directory.FullName, "absent.pcap"), null, json: false);

        Assert.Equal(1, exit);
        Assert.Contains("does not exist", errors);
    }

    [SkippableFact]
    public async Task A_real_tcpdump_capture_of_the_emulated_load_balancer_shows_the_real_client()
    {
        Requires.Root();
        Requires.Command("iptables");
        string tcpdump = Requires.Command("tcpdump");
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        string file = Path.Combine(_directory.FullName, "lo.pcap");
        using (ExternalProcess capture = ExternalProcess.Start(tcpdump, ["-i", "lo", "-U", "--immediate-mode", "-w", file, $"tcp port {port}"]))
        {
            Assert.True(Poll.Until(() => capture.StandardError.Any(l => l.Contains("listening on", StringComparison.Ordinal)), TimeSpan.FromSeconds(10)), capture.Describe());
            await using (LoadBalancerEmulator.Start(port, ToaOptionWriters.Kind200V4(DerivedClient.V4), ToaInjectionPackets.Syn))
            {
                using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await client.ConnectAsync(listener.LocalEndPoint!);
                using Socket accepted = await listener.AcceptAsync();
                await client.SendAsync("hello"u8.ToArray(), SocketFlags.None);
                await accepted.ReceiveAsync(new byte[16], SocketFlags.None);
            }

            // tcpdump writes each packet at once (-U): wait for the handshake to reach the file, then stop it as an operator would.
            Poll.Until(() => new FileInfo(file).Length > 300, TimeSpan.FromSeconds(5));
            capture.Terminate();
            capture.WaitForExit(TimeSpan.FromSeconds(10));
        }

        (int exit, string output, string errors) = Inspect(file, null, json: true, port: port);

        Assert.True(exit == 0, errors);
        JsonArray flows = JsonNode.Parse(output)!["flows"]!.AsArray();
        Assert.True(flows.Count == 1, output);
        JsonNode flow = flows[0]!;
        int clientPort = int.Parse(((string)flow["client"]!).Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal("toa", (string)flow["status"]!);
        Assert.Equal($"{DerivedClient.V4Address(clientPort)}:{clientPort}", (string)flow["realClient"]!);
        Assert.Equal(["syn"], flow["seenOn"]!.AsArray().Select(r => (string)r!));
    }

    private static (int Exit, string Output, string Errors) Inspect(string file, string? config, bool json, int? port = null)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        int exit = InspectCommand.Run(file, config, port, json, output, errors);
        return (exit, output.ToString(), errors.ToString());
    }

    private string Config()
    {
        string path = Path.Combine(_directory.FullName, "toaproxy.json");
        File.WriteAllText(path, """
            { "ToaProxy": {
                "Capture": { "Backend": "none", "TrustedSources": [ "198.51.100.0/25", "2001:db8:100::/48" ] },
                "Listeners": [ { "Listen": "127.0.0.1:8080", "Upstream": "127.0.0.1:8081" } ] } }
            """);
        return path;
    }

    private string WriteCapture(bool pcapNg)
    {
        var frames = new List<(DateTimeOffset, byte[])>();
        void Add(byte[] packet) => frames.Add((Start.AddMilliseconds(frames.Count), packet));
        IPEndPoint From(IPAddress address, int port) => new(address, port);
        byte[] toa200 = TcpPacketBytes.Toa(200, new IPEndPoint(IPAddress.Parse("203.0.113.7"), 51001));
        const TcpFlags Ack = TcpFlags.Ack;
        const TcpFlags Syn = TcpFlags.Syn;

        // 1: kind 200 on the SYN and the handshake ACK (Alibaba LVS style); the SYN-ACK back is ignored.
        Add(TcpPacketBytes.Build(From(Balancer, 40001), Server, Syn, 1000, [.. TcpPacketBytes.Mss, .. toa200]));
        Add(TcpPacketBytes.Build(Server, From(Balancer, 40001), Syn | Ack, 5000, TcpPacketBytes.Mss));
        Add(TcpPacketBytes.Build(From(Balancer, 40001), Server, Ack, 1001, toa200));

        // 2: IPv6, NAT64 kind 253 only on the handshake ACK and the first data (DPVS style).
        byte[] toa253 = TcpPacketBytes.Toa(253, new IPEndPoint(IPAddress.Parse("2001:db8:64::7"), 51002));
        Add(TcpPacketBytes.Build(From(Balancer6, 40002), Server6, Syn, 2000, TcpPacketBytes.Mss));
        Add(TcpPacketBytes.Build(From(Balancer6, 40002), Server6, Ack, 2001, toa253));
        Add(TcpPacketBytes.Build(From(Balancer6, 40002), Server6, Ack | TcpFlags.Psh, 2001, toa253, payloadLength: 40));

        // 3: no option. 4: kind 200 with length 7. 5: a good option from outside TrustedSources.
        Add(TcpPacketBytes.Build(From(Balancer, 40003), Server, Syn, 3000, TcpPacketBytes.Mss));
        Add(TcpPacketBytes.Build(From(Balancer, 40004), Server, Syn, 4000, [.. TcpPacketBytes.Mss, 200, 7, 0x1F, 0x90, 203, 0, 113]));
        Add(TcpPacketBytes.Build(From(Stranger, 40005), Server, Syn, 5000, [.. TcpPacketBytes.Mss, .. toa200]));

        // 6: TCP Fast Open's experimental cookie (kind 254, magic F989), not TOA.
        Add(TcpPacketBytes.Build(From(Balancer, 40006), Server, Syn, 6000, [.. TcpPacketBytes.Mss, 254, 12, 0xF9, 0x89, 1, 2, 3, 4, 5, 6, 7, 8]));

        // 7: the capture started mid-connection and saw the server's packet first.
        Add(TcpPacketBytes.Build(Server, From(Balancer, 40007), Ack, 7000, []));
        Add(TcpPacketBytes.Build(From(Balancer, 40007), Server, Ack, 7001, [], payloadLength: 10));

        string path = Path.Combine(_directory.FullName, pcapNg ? "toa.pcapng" : "toa.pcap");
        File.WriteAllBytes(path, pcapNg ? CaptureFileBuilder.PcapNg(101, [.. frames]) : CaptureFileBuilder.Pcap(101, [.. frames]));
        return path;
    }
}
