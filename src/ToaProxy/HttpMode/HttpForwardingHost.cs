using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ToaProxy.Configuration;
using ToaProxy.Relay;
using Yarp.ReverseProxy.Forwarder;

namespace ToaProxy.HttpMode;

/// <summary>
/// The HTTP side of a listener with Protocol http: its own Kestrel (so it neither depends on nor
/// shares routes with the admin endpoint) whose connections pass <see cref="RealClientConnectionMiddleware"/>,
/// and one YARP forwarder sending every request to the listener's upstream.
/// </summary>
internal sealed partial class HttpForwardingHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpMessageInvoker _upstreamClient;

    private HttpForwardingHost(WebApplication app, HttpMessageInvoker upstreamClient)
    {
        _app = app;
        _upstreamClient = upstreamClient;
    }

    /// <summary>Binds and starts serving; throws naming the listener and address when the bind fails.</summary>
    public static HttpForwardingHost Start(
        ListenerSettings settings, RealClientConnectionMiddleware middleware, ListenerCounters counters, ILoggerFactory loggerFactory)
    {
        HttpListenerSettings http = settings.Http!;
        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ContentRootPath = Directory.GetCurrentDirectory(),
        });
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddSingleton<IHostLifetime, ParentHostLifetime>();
        builder.Services.AddHttpForwarder();
        builder.WebHost.UseKestrelCore();
        builder.WebHost.UseSockets(sockets => sockets.CreateBoundListenSocket = BindListenSocket);
        if (http.Certificate is not null)
        {
            builder.WebHost.UseKestrelHttpsConfiguration();
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // A proxy passes bodies through; the upstream enforces its own limit.
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Limits.MaxConcurrentConnections = settings.MaxConnections;
            kestrel.Limits.MaxConcurrentUpgradedConnections = settings.MaxConnections;
            kestrel.Limits.KeepAliveTimeout = settings.IdleTimeout;
            // As in TCP mode, a slow client is bounded by IdleTimeout (YARP's ActivityTimeout), not by a minimum rate.
            kestrel.Limits.MinRequestBodyDataRate = null;
            kestrel.Limits.MinResponseDataRate = null;
            kestrel.Listen(settings.Listen, listen =>
            {
                listen.Protocols = http.Certificate is null ? HttpProtocols.Http1 : HttpProtocols.Http1AndHttp2;
                // First in the pipeline: the client is resolved from the raw connection, before TLS.
                listen.Use(next => connection => middleware.OnConnectionAsync(connection, next));
                if (http.Certificate is not null)
                {
                    listen.UseHttps(http.Certificate);
                }
            });
        });

        WebApplication app = builder.Build();
        var upstreamClient = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = settings.ConnectTimeout,
            PooledConnectionIdleTimeout = settings.IdleTimeout,
            ActivityHeadersPropagator = null,
        });
        var requestConfig = new ForwarderRequestConfig
        {
            ActivityTimeout = settings.IdleTimeout,
            // h2c is HTTP/2 with prior knowledge: exactly 2.0 over http://, never a TLS upgrade.
            Version = http.UpstreamH2c ? HttpVersion.Version20 : HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        var transformer = new ForwardedHeadersTransformer(http);
        string destination = settings.Upstream.Address is { AddressFamily: AddressFamily.InterNetworkV6 } v6
            ? $"http://[{v6}]:{settings.Upstream.Port}/"
            : $"http://{settings.Upstream.Host}:{settings.Upstream.Port}/";
        IHttpForwarder forwarder = app.Services.GetRequiredService<IHttpForwarder>();
        var failures = new UpstreamFailureLog(loggerFactory.CreateLogger($"ToaProxy.Listener.{settings.Name}"), settings.Name);
        app.Run(async context =>
        {
            ForwarderError error = await forwarder.SendAsync(context, destination, upstreamClient, requestConfig, transformer).ConfigureAwait(false);
            if (error is ForwarderError.Request or ForwarderError.RequestTimedOut)
            {
                Interlocked.Increment(ref counters.UpstreamConnectFailures);
                failures.Report(settings.Upstream.ToString(), context.GetForwarderErrorFeature()?.Exception?.Message ?? error.ToString());
            }
        });

        try
        {
            app.StartAsync().GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            upstreamClient.Dispose();
            ((IDisposable)app).Dispose();
            throw new InvalidOperationException($"Listener \"{settings.Name}\" cannot listen on {settings.Listen}: {e.Message}", e);
        }

        return new HttpForwardingHost(app, upstreamClient);
    }

    // Bound like the TCP listeners' sockets: Kestrel would make "[::]:port" dual-stack, which then
    // collides with a separate "0.0.0.0:port" listener.
    private static Socket BindListenSocket(EndPoint endpoint)
    {
        var address = (IPEndPoint)endpoint;
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            if (address.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = false;
            }

            socket.Bind(address);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Stops accepting and asks keep-alive connections to close; ends them all when <paramref name="abort"/> fires.</summary>
    public Task StopAsync(CancellationToken abort) => _app.StopAsync(abort);

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync().ConfigureAwait(false);
        _upstreamClient.Dispose();
    }
}
