using System.Text.Json.Nodes;
using ToaProxy.Capture.Emulation;
using ToaProxy.Testing;

namespace ToaProxy.Tests.HttpMode;

/// <summary>
/// One HTTP-mode test setup: an upstream, the load-balancer emulator (when a TOA writer is given)
/// and the published toaproxy with an http listener in front. Disposes in reverse order.
/// </summary>
internal sealed class HttpModeStack<TUpstream> : IAsyncDisposable
    where TUpstream : IDisposable
{
    private readonly LoadBalancerEmulator? _lb;

    private HttpModeStack(TUpstream upstream, LoadBalancerEmulator? lb, ToaproxyProcess proxy, int port)
    {
        Upstream = upstream;
        _lb = lb;
        Proxy = proxy;
        Port = port;
    }

    public TUpstream Upstream { get; }

    public ToaproxyProcess Proxy { get; }

    public int Port { get; }

    public static async Task<HttpModeStack<TUpstream>> StartAsync(
        TUpstream upstream, int upstreamPort, TcpOptionWriter? toa, Action<JsonObject>? http = null, Func<int, int, JsonObject>? config = null)
    {
        int port = FreePort.Allocate();
        LoadBalancerEmulator? lb = null;
        try
        {
            lb = toa is null ? null : LoadBalancerEmulator.Start(port, toa, ToaInjectionPackets.Syn);
            JsonObject section = config?.Invoke(port, upstreamPort) ?? HttpModeConfig.Create(port, upstreamPort, http: http);
            return new HttpModeStack<TUpstream>(upstream, lb, ToaproxyProcess.Start(section), port);
        }
        catch
        {
            if (lb is not null)
            {
                await lb.DisposeAsync();
            }

            upstream.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Proxy.Dispose();
        if (_lb is not null)
        {
            await _lb.DisposeAsync();
        }

        Upstream.Dispose();
    }
}
