using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using ToaProxy.Capture.Emulation;
using ToaProxy.Testing;
using ToaProxy.Tests.EndToEnd;

namespace ToaProxy.Tests.Transparent;

/// <summary>
/// Everything of a transparent-mode end-to-end test inside one namespace the test creates: the
/// emulated load balancer inserting TOA, the published proxy (run through <c>ip netns exec</c>, so
/// the rules and routes it manages live and die with the namespace) with two transparent
/// listeners — port 8080 to a plain nginx, port 8082 to a <see cref="PeerNameServer"/> — and the
/// admin endpoint on the namespace's 127.0.0.1:9901. Clients connect from the namespace's own
/// address, so that address is the TCP peer the load balancer's SNAT would be.
/// </summary>
internal sealed class TransparentRig : IAsyncDisposable
{
    public const int NginxListenerPort = 8080;
    public const int PeerListenerPort = 8082;
    public const int NginxPort = 9080;
    private const int AdminPort = 9901;

    private readonly List<LoadBalancerEmulator> _emulators = [];

    private TransparentRig(NetworkNamespace ns, AddressFamily family)
    {
        Ns = ns;
        Address = family == AddressFamily.InterNetworkV6 ? ns.IPv6 : ns.IPv4;
    }

    public NetworkNamespace Ns { get; }

    public IPAddress Address { get; }

    public PlainNginxBackend Nginx { get; private set; } = null!;

    public PeerNameServer PeerServer { get; private set; } = null!;

    public ToaproxyProcess? Proxy { get; private set; }

    public IPEndPoint NginxListener => new(Address, NginxListenerPort);

    public IPEndPoint PeerListener => new(Address, PeerListenerPort);

    /// <summary>Starts it all; <paramref name="option"/> is what the load balancer inserts into the SYN.</summary>
    public static TransparentRig Start(AddressFamily family, TcpOptionWriter option, string withoutToa = "peer")
    {
        Requires.Command("iptables");
        Requires.Command("nginx");
        NetworkNamespace ns = NetworkNamespace.CreateWithUplink();
        var rig = new TransparentRig(ns, family);
        try
        {
            rig.Nginx = PlainNginxBackend.Start(ns, NginxPort);
            rig.PeerServer = new PeerNameServer(ns.Enter(() => PeerNameServer.Listen(rig.Address)));
            foreach (int port in (int[])[NginxListenerPort, PeerListenerPort])
            {
                rig._emulators.Add(ns.Enter(() => LoadBalancerEmulator.Start(port, option, ToaInjectionPackets.Syn)));
            }

            rig.Proxy = ToaproxyProcess.StartUnder(ns.Launcher, PublishedToaproxy.ExecutablePath, rig.Config(withoutToa));
            return rig;
        }
        catch
        {
            rig.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    /// <summary>Sends <paramref name="request"/> from a client inside the namespace; returns the client's endpoint and the whole answer.</summary>
    public async Task<(IPEndPoint Local, string Response)> ExchangeAsync(IPEndPoint target, string request, TimeSpan timeout)
    {
        using Socket socket = Ns.Enter(() => new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp));
        using var cts = new CancellationTokenSource(timeout);
        await socket.ConnectAsync(target, cts.Token);
        var local = (IPEndPoint)socket.LocalEndPoint!;
        await socket.SendAsync(Encoding.ASCII.GetBytes(request), SocketFlags.None, cts.Token);
        byte[] response = await SocketStreams.ReadToEndAsync(socket, timeout);
        return (local, Encoding.ASCII.GetString(response));
    }

    public Task<(IPEndPoint Local, string Response)> GetThroughNginxAsync(TimeSpan timeout) =>
        ExchangeAsync(NginxListener, "GET / HTTP/1.1\r\nHost: transparent.test\r\nConnection: close\r\n\r\n", timeout);

    /// <summary>A counter of a listener, read from the admin endpoint's /stats.</summary>
    public long Counter(string listener, string counter)
    {
        JsonNode stats = JsonNode.Parse(AdminGet("/stats"))!;
        JsonNode entry = stats["listeners"]!.AsArray().First(l => (string?)l!["name"] == listener)!;
        return (long)entry["counters"]![counter]!;
    }

    /// <summary>The body of GET <paramref name="path"/> on the admin endpoint (from inside the namespace).</summary>
    public string AdminGet(string path)
    {
        // HTTP/1.0: Kestrel then answers without chunked encoding and closes, so the body is the rest of the stream.
        (_, string response) = ExchangeAsync(new IPEndPoint(IPAddress.Loopback, AdminPort), $"GET {path} HTTP/1.0\r\nHost: admin\r\n\r\n", TimeSpan.FromSeconds(10))
            .GetAwaiter().GetResult();
        int body = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return body < 0 ? response : response[(body + 4)..];
    }

    /// <summary>Stops the proxy with SIGTERM, as an operator would; it removes what it installed.</summary>
    public void StopProxy()
    {
        Proxy?.Dispose();
        Proxy = null;
    }

    /// <summary>Every trace of the proxy's reply routing left in the namespace (empty when all was removed).</summary>
    public IReadOnlyList<string> LeftoverRouting()
    {
        var left = new List<string>();
        foreach ((string tool, string version) in (ValueTuple<string, string>[])[("iptables", "-4"), ("ip6tables", "-6")])
        {
            left.AddRange(Ns.Exec(tool, "-t", "mangle", "-S").Split('\n').Where(l => l.Contains("toaproxy:", StringComparison.Ordinal)));
            left.AddRange(Ns.Ip(version, "rule", "show").Split('\n').Where(l => l.Contains("lookup 7001", StringComparison.Ordinal)));
            left.AddRange(Ns.Ip(version, "route", "show", "table", "all").Split('\n').Where(l => l.Contains("table 7001", StringComparison.Ordinal)));
        }

        return left;
    }

    public ValueTask DisposeAsync()
    {
        // Every step runs even when an earlier one throws: a process or namespace left behind outlives the test run.
        try
        {
            StopProxy();
            foreach (LoadBalancerEmulator emulator in _emulators)
            {
                // Its iptables rules live in the namespace: remove them from there.
                Ns.Enter(() => { emulator.DisposeAsync().AsTask().GetAwaiter().GetResult(); return 0; });
            }
        }
        finally
        {
            try
            {
                PeerServer?.Dispose();
                Nginx?.Dispose();
            }
            finally
            {
                Ns.Dispose();
            }
        }

        return ValueTask.CompletedTask;
    }

    private JsonObject Config(string withoutToa)
    {
        string Endpoint(int port) => Address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{Address}]:{port}" : $"{Address}:{port}";
        JsonObject config = ProxyConfig.Create(
            NginxListenerPort, NginxPort, "afpacket", withoutToa, ["198.51.100.0/24", "2001:db8:1::/64"], Address.ToString(),
            listener: l =>
            {
                l["Name"] = "nginx";
                l["Upstream"] = Endpoint(NginxPort);
                l["Protocol"] = "transparent";
            });
        JsonObject second = config["Listeners"]![0]!.DeepClone().AsObject();
        second["Name"] = "peername";
        second["Listen"] = Endpoint(PeerListenerPort);
        second["Upstream"] = Endpoint(PeerServer.EndPoint.Port);
        config["Listeners"]!.AsArray().Add(second);
        config["Admin"] = new JsonObject { ["Listen"] = $"127.0.0.1:{AdminPort}" };
        return config;
    }
}
