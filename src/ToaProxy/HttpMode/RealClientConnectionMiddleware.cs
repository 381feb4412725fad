using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;
using ToaProxy.Capture.Flows;
using ToaProxy.Relay;

namespace ToaProxy.HttpMode;

/// <summary>
/// Kestrel connection middleware of an HTTP-mode listener: before any byte is parsed (and before a
/// TLS handshake), resolves the connection's real client exactly as the TCP relay does and makes it
/// the connection's remote address, so every request on the connection carries it.
/// </summary>
internal sealed partial class RealClientConnectionMiddleware(
    string listener,
    Func<RealClientResolver> resolver,
    ConnectionRegistry registry,
    ListenerCounters counters,
    ILogger logger,
    CancellationToken closing)
{
    // Kestrel's KeepAliveTimeout and YARP's ActivityTimeout end idle HTTP connections; the registry
    // only drains and aborts them at shutdown.
    private static readonly TimeSpan NoRegistryIdleTimeout = TimeSpan.MaxValue;

    public async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        if (connection.RemoteEndPoint is not IPEndPoint peer || connection.LocalEndPoint is not IPEndPoint local
            || connection.Features.Get<IConnectionSocketFeature>()?.Socket is not { } socket)
        {
            connection.Abort();
            return;
        }

        Interlocked.Increment(ref counters.Accepted);
        Interlocked.Increment(ref counters.Active);
        long id = registry.NextId();
        registry.Add(new SocketConnection(id, socket, NoRegistryIdleTimeout, counters));
        try
        {
            RealClientResolver current = resolver();
            RealClientDecision decision = await current.ResolveAsync(peer, local, id, current.WaitsForData ? WhenReadable(connection.Transport.Input) : null, closing).ConfigureAwait(false);
            if (!decision.Accepted)
            {
                LogRejected(listener, id, peer, decision.Status);
                SocketAbort.Reset(socket);
                return;
            }

            IPEndPoint? client = decision.Plan.IsLocal ? null : new IPEndPoint(decision.Plan.Source.ToIPAddress(), decision.Plan.SourcePort);
            connection.Features.Set(new RealClientFeature(peer, client));
            if (client is not null)
            {
                connection.RemoteEndPoint = client;
            }

            LogServing(listener, id, peer, client?.ToString() ?? "none (WithoutToa local)", decision.Status);
            // Below TLS: the counters see the client connection's bytes, TLS records included.
            connection.Transport = new CountingDuplexPipe(connection.Transport, counters);
            await next(connection).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            SocketAbort.Reset(socket);
        }
        finally
        {
            registry.Remove(id);
            Interlocked.Decrement(ref counters.Active);
        }
    }

    /// <summary>Completes once the transport has the client's first bytes (or its end), leaving them unread for Kestrel.</summary>
    private static Func<CancellationToken, Task> WhenReadable(PipeReader input) =>
        async cancellationToken =>
        {
            ReadResult read = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            // Nothing consumed or examined: Kestrel's first read returns these bytes at once.
            input.AdvanceTo(read.Buffer.Start);
        };

    [LoggerMessage(Level = LogLevel.Debug, Message = "Listener {Listener} conn {ConnectionId}: from {Peer} rejected, TOA {Resolution} and WithoutToa is reject")]
    private partial void LogRejected(string listener, long connectionId, IPEndPoint peer, FlowResolutionStatus resolution);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Listener {Listener} conn {ConnectionId}: from {Peer}, real client {Client} (TOA {Resolution})")]
    private partial void LogServing(string listener, long connectionId, IPEndPoint peer, string client, FlowResolutionStatus resolution);
}
