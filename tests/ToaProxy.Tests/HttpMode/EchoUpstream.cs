using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using ToaProxy.Testing;

namespace ToaProxy.Tests.HttpMode;

/// <summary>
/// A small Kestrel upstream for HTTP mode, in the test process: HTTP/1.1 on <see cref="Port"/> and
/// HTTP/2 cleartext (prior knowledge) on <see cref="H2cPort"/>.
/// <list type="bullet">
/// <item>/headers: the request's protocol and headers, one "name: value" per line;</item>
/// <item>/sha256 (POST): length and SHA-256 of the streamed request body;</item>
/// <item>/download/N: N bytes of <see cref="PatternStream"/>, streamed;</item>
/// <item>/ws: a WebSocket that first sends the X-Forwarded-For it was opened with, then echoes.</item>
/// </list>
/// </summary>
internal sealed class EchoUpstream : IDisposable
{
    private readonly WebApplication _app;

    private EchoUpstream(WebApplication app, int port, int h2cPort)
    {
        _app = app;
        Port = port;
        H2cPort = h2cPort;
    }

    public int Port { get; }

    public int H2cPort { get; }

    public static EchoUpstream Start()
    {
        int port = FreePort.Allocate();
        int h2cPort = FreePort.Allocate();
        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = null;
            k.Listen(IPAddress.Loopback, port, l => l.Protocols = HttpProtocols.Http1);
            k.Listen(IPAddress.Loopback, h2cPort, l => l.Protocols = HttpProtocols.Http2);
        });
        WebApplication app = builder.Build();
        app.UseWebSockets();
        app.Run(HandleAsync);
        app.StartAsync().GetAwaiter().GetResult();
        return new EchoUpstream(app, port, h2cPort);
    }

    public void Dispose() => _app.DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>The /headers response parsed back: header name (lower case) to its values joined by ", ".</summary>
    public static Dictionary<string, string> ParseHeaders(string response) =>
        response.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(": ", 2))
            .ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : string.Empty, StringComparer.OrdinalIgnoreCase);

    private static async Task HandleAsync(HttpContext context)
    {
        string path = context.Request.Path.Value ?? "/";
        if (path == "/ws" && context.WebSockets.IsWebSocketRequest)
        {
            await EchoWebSocketAsync(context);
        }
        else if (path == "/sha256")
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            byte[] buffer = new byte[64 * 1024];
            long length = 0;
            int n;
            while ((n = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
            {
                hash.AppendData(buffer, 0, n);
                length += n;
            }

            await context.Response.WriteAsync($"{length} {Convert.ToHexString(hash.GetHashAndReset())}", context.RequestAborted);
        }
        else if (path.StartsWith("/download/", StringComparison.Ordinal) && long.TryParse(path["/download/".Length..], out long bytes))
        {
            await using var body = new PatternStream(bytes);
            await body.CopyToAsync(context.Response.Body, 64 * 1024, context.RequestAborted);
        }
        else
        {
            var text = new StringBuilder($"protocol: {context.Request.Protocol}\n");
            foreach (var header in context.Request.Headers)
            {
                text.Append(header.Key).Append(": ").Append(string.Join(", ", header.Value.ToArray())).Append('\n');
            }

            await context.Response.WriteAsync(text.ToString(), context.RequestAborted);
        }
    }

    private static async Task EchoWebSocketAsync(HttpContext context)
    {
        using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync();
        byte[] greeting = Encoding.UTF8.GetBytes(context.Request.Headers["X-Forwarded-For"].ToString());
        await socket.SendAsync(greeting, WebSocketMessageType.Text, true, context.RequestAborted);
        byte[] buffer = new byte[64 * 1024];
        while (true)
        {
            WebSocketReceiveResult result = await socket.ReceiveAsync(buffer, context.RequestAborted);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, context.RequestAborted);
                return;
            }

            await socket.SendAsync(buffer.AsMemory(0, result.Count), result.MessageType, result.EndOfMessage, context.RequestAborted);
        }
    }
}
