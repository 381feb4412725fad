using System.Net;
using ToaProxy.Capture.Emulation;
using ToaProxy.Testing;

namespace ToaProxy.Tests.EndToEnd;

/// <summary>Many concurrent connections, each with its own emulated client: a wrong client is worse
/// than none, so every single backend log line must carry its own connection's client.</summary>
public sealed class MisattributionTests
{
    [SkippableFact]
    public async Task A_thousand_connections_each_reach_nginx_with_their_own_client()
    {
        Requires.Root();
        Requires.Command("iptables");
        Requires.Command("nginx");
        const int connections = 1000;
        using var nginx = NginxBackend.Start();
        int port = FreePort.Allocate();
        await using var lb = LoadBalancerEmulator.Start(port, ToaOptionWriters.Kind200V4(DerivedClient.V4), ToaInjectionPackets.Syn);
        using var proxy = ToaproxyProcess.Start(ProxyConfig.Create(port, nginx.Port, "afpacket"));

        using var gate = new SemaphoreSlim(50);
        var clientPorts = new System.Collections.Concurrent.ConcurrentBag<int>();
        var target = new IPEndPoint(IPAddress.Loopback, port);
        await Task.WhenAll(Enumerable.Range(0, connections).Select(async _ =>
        {
            await gate.WaitAsync();
            try
            {
                (IPEndPoint local, string response) = await HttpThroughProxy.GetAsync(target, TimeSpan.FromSeconds(30));
                Assert.Contains(nginx.Body, response);
                clientPorts.Add(local.Port);
            }
            finally
            {
                gate.Release();
            }
        }));

        Assert.True(Poll.Until(() => nginx.Records().Count >= connections, TimeSpan.FromSeconds(30)), $"nginx logged {nginx.Records().Count} of {connections}");
        IReadOnlyList<BackendLogRecord> records = nginx.Records();
        var byPort = records.Where(r => r.Client is not null).ToLookup(r => r.Client!.Port);
        int missing = clientPorts.Count(p => !byPort.Contains(p));
        var wrong = records.Where(r => r.Client is null || !r.Client.Address.Equals(DerivedClient.V4Address(r.Client.Port))).Select(r => r.Line).ToList();

        Assert.Equal(connections, records.Count);
        Assert.Equal(0, missing);
        if (wrong.Count > 0)
        {
            // What the proxy itself decided for those connections (its debug log) and what the emulator did.
            var ports = records.Where(r => r.Client is null || !r.Client.Address.Equals(DerivedClient.V4Address(r.Client.Port))).Select(r => $"127.0.0.1:{r.Client?.Port},").ToList();
            var proxyLines = proxy.Process.StandardOutput.Where(l => ports.Any(p => l.Contains(p, StringComparison.Ordinal))).Take(10);
            Assert.Fail($"{wrong.Count} connections did not reach nginx with their own client, e.g. {string.Join(" | ", wrong.Take(5))}\n"
                + $"emulator rewrote {lb.PacketsRewritten} packets\nproxy said:\n{string.Join("\n", proxyLines)}");
        }
    }
}
