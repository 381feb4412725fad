using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using ToaProxy.Admin;
using ToaProxy.Testing;

namespace ToaProxy.Tests.Reliability;

/// <summary>Turns the admin endpoint on (a free loopback port) in a generated config and reads /stats from it.</summary>
internal sealed class AdminStatsReader : IDisposable
{
    private readonly HttpClient _http;

    private AdminStatsReader(int port, NetworkNamespace? netns)
    {
        Port = port;
        var handler = new SocketsHttpHandler();
        if (netns is not null)
        {
            // The proxy's loopback is the one of its namespace: connect from a socket created there.
            handler.ConnectCallback = async (context, cancellationToken) =>
            {
                Socket socket = netns.CreateSocket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            };
        }

        _http = new HttpClient(handler) { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(15) };
    }

    public int Port { get; }

    /// <summary>Sets <c>Admin:Listen</c> of <paramref name="toaProxySection"/> to a free loopback port
    /// (of <paramref name="netns"/> when the proxy runs in one).</summary>
    public static AdminStatsReader EnableIn(JsonObject toaProxySection, NetworkNamespace? netns = null)
    {
        int port = FreePort.Allocate();
        toaProxySection["Admin"] = new JsonObject { ["Listen"] = $"127.0.0.1:{port}" };
        return new AdminStatsReader(port, netns);
    }

    /// <summary>/stats, once the endpoint answers (Kestrel starts just after the relay's start-up line).</summary>
    public StatsReport Read()
    {
        StatsReport? report = Poll.Until(TryRead, TimeSpan.FromSeconds(15));
        return report ?? throw new InvalidOperationException($"the admin endpoint on 127.0.0.1:{Port} did not answer /stats");
    }

    public void Dispose() => _http.Dispose();

    private StatsReport? TryRead()
    {
        try
        {
            return _http.GetFromJsonAsync<StatsReport>("stats", AdminJson.Options).GetAwaiter().GetResult();
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }
}
