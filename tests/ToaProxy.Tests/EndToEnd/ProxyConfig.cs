using System.Text.Json.Nodes;

namespace ToaProxy.Tests.EndToEnd;

/// <summary>Builds the "ToaProxy" section of a generated test config.</summary>
internal static class ProxyConfig
{
    public static JsonObject Create(
        int listenPort,
        int upstreamPort,
        string backend = "none",
        string withoutToa = "peer",
        string[]? trusted = null,
        string listenAddress = "127.0.0.1",
        ushort queueNumber = 0,
        Action<JsonObject>? listener = null,
        Action<JsonObject>? capture = null,
        string shutdownTimeout = "5s",
        string upstreamHost = "127.0.0.1")
    {
        var listenerObject = new JsonObject
        {
            ["Name"] = "test",
            ["Listen"] = listenAddress.Contains(':') ? $"[{listenAddress}]:{listenPort}" : $"{listenAddress}:{listenPort}",
            ["Upstream"] = $"{upstreamHost}:{upstreamPort}",
            ["WithoutToa"] = withoutToa,
            ["ToaWait"] = "2s",
        };
        listener?.Invoke(listenerObject);
        var captureObject = new JsonObject
        {
            ["Backend"] = backend,
            ["Interface"] = "lo",
            ["QueueNumber"] = queueNumber,
            ["TrustedSources"] = new JsonArray([.. (trusted ?? ["127.0.0.0/8", "::1/128"]).Select(t => (JsonNode)JsonValue.Create(t)!)]),
        };
        capture?.Invoke(captureObject);
        return new JsonObject
        {
            ["Capture"] = captureObject,
            ["Listeners"] = new JsonArray(listenerObject),
            ["Admin"] = new JsonObject { ["Listen"] = "off" },
            ["ShutdownTimeout"] = shutdownTimeout,
        };
    }
}
