using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace ToaProxy.Tests.HttpMode;

/// <summary>
/// An HttpClient that keeps one connection to the proxy (so its requests share one keep-alive
/// connection) and records that connection's local endpoint: its port names the emulated client.
/// </summary>
internal sealed class ProxiedHttpClient : IDisposable
{
    private readonly ConcurrentQueue<IPEndPoint> _connections = new();

    public ProxiedHttpClient(Uri baseAddress, TimeSpan timeout, X509Certificate2? trustedServerCertificate = null)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            MaxConnectionsPerServer = 1,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            // A test's self-signed certificate: trusted by exact match, nothing else.
            SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                trustedServerCertificate is not null && certificate is not null && certificate.GetCertHashString() == trustedServerCertificate.GetCertHashString() },
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    _connections.Enqueue((IPEndPoint)socket.LocalEndPoint!);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        Client = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = timeout };
    }

    public HttpClient Client { get; }

    public IReadOnlyList<IPEndPoint> Connections => [.. _connections];

    public void Dispose() => Client.Dispose();
}
