using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using ToaProxy.Testing;

namespace ToaProxy.Tests.EndToEnd;

/// <summary>The published toaproxy as an operator runs it: config validation, start-up failures,
/// overrides, log formats and connection limits.</summary>
public sealed class HostTests : IDisposable
{
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(30);
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("toaproxy-host-");

    public void Dispose() => _directory.Delete(recursive: true);

    private string WriteConfig(JsonObject section)
    {
        string path = Path.Combine(_directory.FullName, $"config-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, new JsonObject { ["ToaProxy"] = section }.ToJsonString());
        return path;
    }

    private static ExternalProcess RunToExit(params string[] arguments)
    {
        ExternalProcess process = ExternalProcess.Start(PublishedToaproxy.ExecutablePath, arguments);
        Assert.True(process.WaitForExit(Step), process.Describe());
        return process;
    }

    [Theory]
    [InlineData(20000, true)]
    [InlineData(1000, false)]
    public void An_open_file_limit_below_what_max_connections_may_need_is_warned_about_at_start(int maxConnections, bool warned)
    {
        string prlimit = Requires.Command("prlimit");
        int port = FreePort.Allocate();

        // Soft and hard: the runtime raises the soft limit to the hard one at start.
        using var proxy = ToaproxyProcess.StartUnder(
            [prlimit, "--nofile=4096:4096", "--"], PublishedToaproxy.ExecutablePath, ProxyConfig.Create(port, 8081, listener: l => l["MaxConnections"] = maxConnections));
        string? warning = proxy.Process.StandardOutput.FirstOrDefault(l => l.Contains("Open-file limit", StringComparison.Ordinal));

        if (warned)
        {
            Assert.NotNull(warning);
            Assert.Contains("Open-file limit 4096 holds about 1792 relayed connections", warning);
            Assert.Contains("MaxConnections (20000 in all)", warning);
            Assert.Contains("Raise the limit to 40512", warning);
        }
        else
        {
            Assert.Null(warning);
        }
    }

    [Fact]
    public void Check_config_prints_the_effective_settings_and_exits_0_for_a_valid_file()
    {
        string config = WriteConfig(ProxyConfig.Create(8080, 8081));

        using ExternalProcess check = RunToExit("check-config", "--config", config);

        Assert.Equal(0, check.ExitCode);
        string output = string.Join('\n', check.StandardOutput);
        Assert.Contains("\"Upstream\": \"127.0.0.1:8081\"", output);
        Assert.Contains("\"ToaWait\": \"2s\"", output);
        Assert.Contains("configuration is valid", output);
    }

    [Fact]
    public void Check_config_names_every_wrong_key_and_value_and_exits_1()
    {
        JsonObject section = ProxyConfig.Create(8080, 8081);
        section["Listeners"]![0]!["Upstream"] = "127.0.0.1";
        section["Capture"]!["Backend"] = "ebpf";
        section["Listeners"]![0]!["WithoutToaa"] = "reject";
        string config = WriteConfig(section);

        using ExternalProcess check = RunToExit("check-config", "--config", config);

        Assert.Equal(1, check.ExitCode);
        string errors = string.Join('\n', check.StandardError);
        Assert.Contains("ToaProxy:Listeners:0:Upstream: \"127.0.0.1\" has no port", errors);
        Assert.Contains("ToaProxy:Capture:Backend: \"ebpf\" is not a capture backend", errors);
        Assert.Contains("ToaProxy:Listeners:0:WithoutToaa: unknown key", errors);
    }

    [Fact]
    public void Run_with_a_bad_config_stops_with_the_key_at_fault()
    {
        JsonObject section = ProxyConfig.Create(FreePort.Allocate(), 8081);
        section["Listeners"]![0]!["Upstream"] = "127.0.0.1";
        section["Capture"]!["TrustedSource"] = new JsonArray("10.0.0.0/8");
        string config = WriteConfig(section);

        using ExternalProcess run = RunToExit("run", "--config", config);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains(run.StandardError, l => l.Contains("ToaProxy:Listeners:0:Upstream: \"127.0.0.1\" has no port", StringComparison.Ordinal));
        Assert.Contains(run.StandardError, l => l.Contains("ToaProxy:Capture:TrustedSource: unknown key", StringComparison.Ordinal));
    }

    [Fact]
    public void Run_with_a_missing_config_file_says_which_file()
    {
        using ExternalProcess run = RunToExit("run", "--config", "/nonexistent/toaproxy.json");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains(run.StandardError, l => l.Contains("\"/nonexistent/toaproxy.json\" does not exist", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("proxy-v2", "AddressAlreadyInUse")]
    [InlineData("http", "address already in use")]
    public void Run_fails_with_one_line_and_no_stack_trace_when_the_listen_port_is_taken(string protocol, string reason)
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen();
        int port = ((IPEndPoint)taken.LocalEndPoint!).Port;
        string config = WriteConfig(ProxyConfig.Create(port, 8081, listener: l =>
        {
            if (protocol == "http")
            {
                l["Protocol"] = "http";
                l["Http"] = new JsonObject();
            }
        }));

        using ExternalProcess run = RunToExit("run", "--config", config);

        Assert.Equal(1, run.ExitCode);
        string line = Assert.Single(run.StandardError);
        Assert.Contains($"Listener \"test\" cannot listen on 127.0.0.1:{port}", line, StringComparison.Ordinal);
        Assert.Contains(reason, line, StringComparison.Ordinal);
        Assert.DoesNotContain(run.StandardOutput, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal) || l.Contains("Hosting failed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Command_line_overrides_win_over_the_file_and_json_logs_are_one_object_per_line()
    {
        using var upstream = new ScriptedUpstream();
        int port = FreePort.Allocate();
        JsonObject section = ProxyConfig.Create(port, 1);
        using var proxy = ToaproxyProcess.Start(section, $"--ToaProxy:Listeners:0:Upstream=127.0.0.1:{upstream.Port}", "--Logging:Console:FormatterName=json");

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        using UpstreamConnection conn = await upstream.AcceptAsync(Step);

        string started = proxy.Process.StandardOutput.First(l => l.Contains("toaproxy started", StringComparison.Ordinal));
        using JsonDocument log = JsonDocument.Parse(started);
        Assert.Equal("ToaProxy.Hosting.RelayService", log.RootElement.GetProperty("Category").GetString());
        Assert.Equal("Information", log.RootElement.GetProperty("LogLevel").GetString());
    }

    [Fact]
    public async Task Max_connections_refuses_the_connection_beyond_the_limit_and_accepts_again_below_it()
    {
        using var upstream = new ScriptedUpstream();
        int port = FreePort.Allocate();
        using var proxy = ToaproxyProcess.Start(ProxyConfig.Create(port, upstream.Port, listener: l => l["MaxConnections"] = 2));
        var target = new IPEndPoint(IPAddress.Loopback, port);

        using var first = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await first.ConnectAsync(target);
        using UpstreamConnection up1 = await upstream.AcceptAsync(Step);
        using var second = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await second.ConnectAsync(target);
        using UpstreamConnection up2 = await upstream.AcceptAsync(Step);

        using var third = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var refused = await Assert.ThrowsAsync<SocketException>(async () =>
        {
            // The reset may come before the connect call has returned.
            await third.ConnectAsync(target);
            await SocketStreams.ReadToEndAsync(third, Step);
        });
        Assert.Equal(SocketError.ConnectionReset, refused.SocketErrorCode);

        first.Close();
        up1.Socket.Close();
        Assert.True(Poll.Until(() => TryRelayOnce(target, upstream), Step), "no connection was accepted after one closed");
    }

    private static bool TryRelayOnce(IPEndPoint target, ScriptedUpstream upstream)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Connect(target);
        try
        {
            using UpstreamConnection conn = upstream.AcceptAsync(TimeSpan.FromSeconds(1)).GetAwaiter().GetResult();
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
