using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using ToaProxy.Admin;
using ToaProxy.Testing;
using ToaProxy.Tests.EndToEnd;

namespace ToaProxy.Tests.Admin;

/// <summary>
/// The published toaproxy with its admin endpoint on a free loopback port, relaying to a scripted
/// upstream; helpers to push connections through it and to read the admin API.
/// </summary>
internal sealed class AdminProxy : IDisposable
{
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(15);

    private AdminProxy(ToaproxyProcess process, ScriptedUpstream upstream, int listenPort, int adminPort)
    {
        Process = process;
        Upstream = upstream;
        ListenPort = listenPort;
        AdminPort = adminPort;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{adminPort}/"), Timeout = Step };
    }

    public ToaproxyProcess Process { get; }

    public ScriptedUpstream Upstream { get; }

    public int ListenPort { get; }

    public int AdminPort { get; }

    public string AdminAddress => $"127.0.0.1:{AdminPort}";

    public HttpClient Http { get; }

    /// <summary>Starts toaproxy with capture <paramref name="backend"/> (on lo) and waits until /healthz answers.</summary>
    public static AdminProxy Start(string backend = "none", Action<JsonObject>? listener = null, Action<JsonObject>? capture = null, Action<JsonObject>? section = null)
    {
        var upstream = new ScriptedUpstream();
        int listenPort = FreePort.Allocate();
        int adminPort = FreePort.Allocate();
        JsonObject config = ProxyConfig.Create(listenPort, upstream.Port, backend, listener: listener, capture: capture);
        config["Admin"] = new JsonObject { ["Listen"] = $"127.0.0.1:{adminPort}" };
        section?.Invoke(config);
        var proxy = new AdminProxy(ToaproxyProcess.Start(config), upstream, listenPort, adminPort);
        // Kestrel starts after the relay's start-up line; wait for the API itself.
        if (!Poll.Until(() => proxy.IsAnswering(), Step))
        {
            string description = proxy.Process.Describe();
            proxy.Dispose();
            throw new InvalidOperationException($"the admin endpoint did not answer:\n{description}");
        }

        return proxy;
    }

    /// <summary>Relays <paramref name="count"/> connections: each sends "ping", gets "pong!", and closes. Returns the clients' local ports.</summary>
    public async Task<int[]> RelayConnectionsAsync(int count)
    {
        var ports = new int[count];
        for (int i = 0; i < count; i++)
        {
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            using var cts = new CancellationTokenSource(Step);
            await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, ListenPort), cts.Token);
            ports[i] = ((IPEndPoint)client.LocalEndPoint!).Port;
            await SocketStreams.SendAllAsync(client, "ping"u8.ToArray(), Step);
            client.Shutdown(SocketShutdown.Send);
            using UpstreamConnection upstream = await Upstream.AcceptAsync(Step);
            await SocketStreams.ReadToEndAsync(upstream.Socket, Step, upstream.Leftover);
            await SocketStreams.SendAllAsync(upstream.Socket, "pong!"u8.ToArray(), Step);
            upstream.Socket.Shutdown(SocketShutdown.Send);
            await SocketStreams.ReadToEndAsync(client, Step);
        }

        // The relay's counters settle when both directions have closed.
        Assert.True(
            Poll.Until(() => Stats().Listeners[0].Counters["active"] == 0 && Stats().Listeners[0].Counters["accepted"] >= count, Step),
            Process.Describe());
        return ports;
    }

    public StatsReport Stats() =>
        Http.GetFromJsonAsync<StatsReport>("stats", AdminJson.Options).GetAwaiter().GetResult()!;

    public async Task<string> GetStringAsync(string path) => await Http.GetStringAsync(path);

    public void Dispose()
    {
        Http.Dispose();
        Process.Dispose();
        Upstream.Dispose();
    }

    private bool IsAnswering()
    {
        try
        {
            using HttpResponseMessage response = Http.GetAsync("healthz").GetAwaiter().GetResult();
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }
}
