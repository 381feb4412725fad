using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using ToaProxy.Capture.Emulation;
using ToaProxy.Cli;
using ToaProxy.Testing;
using ToaProxy.Tests.EndToEnd;

namespace ToaProxy.Tests.Cli;

/// <summary>
/// <c>toaproxy doctor</c> on a host that is ready (real nginx with proxy_protocol upstream, free port,
/// TOA arriving from the emulated load balancer during the live capture) and on one that is not
/// (port taken, upstream down, or an upstream that does not read PROXY).
/// </summary>
public sealed class DoctorCommandTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("toaproxy-doctor-");

    public void Dispose() => _directory.Delete(recursive: true);

    [SkippableFact]
    public async Task A_ready_host_passes_with_ok_lines_and_the_live_capture_counts_toa_syns()
    {
        Requires.Root();
        Requires.Command("iptables");
        using var nginx = NginxBackend.Start();
        int port = FreePort.Allocate();
        string config = WriteConfig(ProxyConfig.Create(port, nginx.Port, "afpacket"));
        await using var lb = LoadBalancerEmulator.Start(port, ToaOptionWriters.Kind200V4(DerivedClient.V4), ToaInjectionPackets.Syn);
        using var connecting = new CancellationTokenSource();
        Task connections = ConnectRepeatedlyAsync(new IPEndPoint(IPAddress.Loopback, port), connecting.Token);

        var output = new StringWriter();
        int exit = await DoctorCommand.RunAsync(config, TimeSpan.FromSeconds(3), output, CancellationToken.None);
        await connecting.CancelAsync();
        await connections;

        string text = output.ToString();
        Assert.True(exit == 0, text);
        Assert.Matches(@"(?m)^OK\s+config\s", text);
        Assert.Matches(@"(?m)^OK\s+privileges\s+running as root with CAP_NET_RAW", text);
        Assert.Matches($@"(?m)^OK\s+listener test\s+127\.0\.0\.1:{port} is free", text);
        Assert.Matches(@"(?m)^OK\s+upstream test\s+.*speaks PROXY protocol", text);
        Assert.Matches(@"(?m)^OK\s+capture\s+.* [1-9]\d* SYNs, [1-9]\d* carried TOA \(kind 200: \d+\)", text);
        Assert.DoesNotContain("FAIL ", text);
    }

    [SkippableFact]
    public async Task A_taken_port_and_a_dead_upstream_fail_with_their_fixes()
    {
        Requires.Root();
        using var squatter = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        squatter.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        squatter.Listen();
        int port = ((IPEndPoint)squatter.LocalEndPoint!).Port;
        int deadUpstream = FreePort.Allocate();
        string config = WriteConfig(ProxyConfig.Create(port, deadUpstream, "afpacket"));

        var output = new StringWriter();
        int exit = await DoctorCommand.RunAsync(config, TimeSpan.FromSeconds(1), output, CancellationToken.None);

        string text = output.ToString();
        Assert.True(exit == 1, text);
        Assert.Matches($@"(?m)^FAIL\s+listener test\s+127\.0\.0\.1:{port} is already in use.*\n\s+fix: find the owner with: ss -ltnp 'sport = :{port}'", text);
        Assert.Matches($@"(?m)^FAIL\s+upstream test\s+cannot connect to 127\.0\.0\.1:{deadUpstream}: .*\n\s+fix: start the backend", text);
        Assert.Matches(@"(?m)^WARN\s+capture\s+.*no connection arrived", text);
        Assert.Matches(@"(?m)^doctor: 2 FAIL, 1 WARN, \d+ OK$", text);
    }

    [Fact]
    public async Task An_upstream_that_does_not_read_proxy_protocol_fails_and_an_invalid_config_fails()
    {
        using var plain = new PlainHttpServer();
        string config = WriteConfig(ProxyConfig.Create(FreePort.Allocate(), plain.Port, "none"));
        string broken = Path.Combine(_directory.FullName, "broken.json");
        File.WriteAllText(broken, """{ "ToaProxy": { "Listeners": [ { "Listen": "127.0.0.1", "Upstream": "127.0.0.1:1" } ] } }""");

        var output = new StringWriter();
        int exit = await DoctorCommand.RunAsync(config, TimeSpan.Zero, output, CancellationToken.None);
        var brokenOutput = new StringWriter();
        int brokenExit = await DoctorCommand.RunAsync(broken, TimeSpan.Zero, brokenOutput, CancellationToken.None);

        Assert.Equal(1, exit);
        Assert.Matches(@"(?m)^FAIL\s+upstream test\s+.*answers plain requests \(""HTTP/1.1 200 OK""\) but rejects one with a PROXY v2 LOCAL header.*\n\s+fix: enable PROXY protocol", output.ToString());
        Assert.Equal(1, brokenExit);
        Assert.Matches(@"(?m)^FAIL\s+config\s+.*Listeners:0:Listen: ""127.0.0.1"" has no port", brokenOutput.ToString());
    }

    [Fact]
    public async Task A_plain_http_upstream_passes_for_an_http_listener()
    {
        using var plain = new PlainHttpServer();
        string config = WriteConfig(ProxyConfig.Create(FreePort.Allocate(), plain.Port, "none", listener: l => l["Protocol"] = "http"));

        var output = new StringWriter();
        await DoctorCommand.RunAsync(config, TimeSpan.Zero, output, CancellationToken.None);

        Assert.Matches(@"(?m)^OK\s+upstream test\s+.*answers HTTP \(""HTTP/1.1 200 OK""\); HTTP mode sends it the client in X-Forwarded-For", output.ToString());
    }

    private static async Task ConnectRepeatedlyAsync(IPEndPoint target, CancellationToken cancellationToken)
    {
        // Nothing listens on the port (doctor runs before the proxy); each SYN still reaches the capture.
        for (int i = 0; i < 200 && !cancellationToken.IsCancellationRequested; i++)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(target, cancellationToken);
            }
            catch (SocketException)
            {
                // Refused, as expected.
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                await Task.Delay(100, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private string WriteConfig(JsonObject section)
    {
        string path = Path.Combine(_directory.FullName, "toaproxy.json");
        File.WriteAllText(path, new JsonObject { ["ToaProxy"] = section }.ToJsonString());
        return path;
    }
}
