using System.Text.Json.Nodes;
using ToaProxy.Testing;
using ToaProxy.Tests.EndToEnd;

namespace ToaProxy.Tests.HttpMode;

/// <summary>A test config with one Protocol http listener (capture on lo, Forwarded header on).</summary>
internal static class HttpModeConfig
{
    public static JsonObject Create(int listenPort, int upstreamPort, string backend = "afpacket", Action<JsonObject>? http = null, string listenAddress = "127.0.0.1") =>
        ProxyConfig.Create(listenPort, upstreamPort, backend, listenAddress: listenAddress, queueNumber: KernelIds.NextQueue(), listener: l =>
        {
            var section = new JsonObject { ["Forwarded"] = true };
            http?.Invoke(section);
            l["Protocol"] = "http";
            l["Http"] = section;
        });
}
