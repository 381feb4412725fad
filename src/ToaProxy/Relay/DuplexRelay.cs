using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;

namespace ToaProxy.Relay;

/// <summary>
/// Copies bytes both ways between the client and upstream sockets through two pipes, with TCP
/// semantics preserved: a FIN from one side becomes a FIN to the other after all its data while the
/// other direction keeps flowing; an RST from one side becomes an RST on the other. Each direction
/// is a receive loop filling a pipe and a send loop draining it, so a slow reader pauses its
/// writer at the pipe's threshold (bounded memory) instead of buffering without limit.
/// </summary>
internal sealed class DuplexRelay
{
    // Big enough segments for bulk throughput; backpressure at 256 KiB per direction.
    private static readonly PipeOptions Options = new(
        pool: MemoryPool<byte>.Shared,
        readerScheduler: PipeScheduler.Inline,
        writerScheduler: PipeScheduler.Inline,
        pauseWriterThreshold: 256 * 1024,
        resumeWriterThreshold: 128 * 1024,
        minimumSegmentSize: 16 * 1024,
        useSynchronizationContext: false);

    private readonly Socket _client;
    private readonly Socket _upstream;
    private readonly ListenerCounters _counters;
    private long _lastActivity = Environment.TickCount64;
    private int _aborted;

    public DuplexRelay(Socket client, Socket upstream, ListenerCounters counters)
    {
        _client = client;
        _upstream = upstream;
        _counters = counters;
    }

    /// <summary>Environment.TickCount64 of the last byte received from either side.</summary>
    public long LastActivity => Interlocked.Read(ref _lastActivity);

    public async Task<(RelayEnd FromClient, RelayEnd FromUpstream)> RunAsync()
    {
        var toUpstream = new Pipe(Options);
        var toClient = new Pipe(Options);
        Task<RelayEnd> fromClient = ReceiveAsync(_client, toUpstream.Writer, fromClientSide: true);
        Task sendUp = SendAsync(toUpstream.Reader, _upstream);
        Task<RelayEnd> fromUpstream = ReceiveAsync(_upstream, toClient.Writer, fromClientSide: false);
        Task sendDown = SendAsync(toClient.Reader, _client);
        await Task.WhenAll(fromClient, sendUp, fromUpstream, sendDown).ConfigureAwait(false);
        return (await fromClient.ConfigureAwait(false), await fromUpstream.ConfigureAwait(false));
    }

    /// <summary>Closes both sides with RST (idle timeout, shutdown deadline); the loops then end.</summary>
    public void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) == 0)
        {
            SocketAbort.Reset(_client);
            SocketAbort.Reset(_upstream);
        }
    }

    private async Task<RelayEnd> ReceiveAsync(Socket source, PipeWriter writer, bool fromClientSide)
    {
        RelayEnd end = RelayEnd.Fin;
        Exception? error = null;
        try
        {
            while (true)
            {
                // Wait for data before taking a buffer, so an idle connection holds no buffer memory.
                await source.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                Memory<byte> buffer = writer.GetMemory(1);
                int received = await source.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false);
                if (received == 0)
                {
                    break;
                }

                writer.Advance(received);
                Interlocked.Exchange(ref _lastActivity, Environment.TickCount64);
                Interlocked.Add(ref fromClientSide ? ref _counters.BytesFromClient : ref _counters.BytesFromUpstream, received);
                FlushResult flush = await writer.FlushAsync().ConfigureAwait(false);
                if (flush.IsCompleted)
                {
                    // The send side failed: nothing we read can be delivered any more.
                    end = RelayEnd.Aborted;
                    break;
                }
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset && Volatile.Read(ref _aborted) == 0)
        {
            end = RelayEnd.Reset;
            error = e;
            Interlocked.Increment(ref fromClientSide ? ref _counters.ClientResets : ref _counters.UpstreamResets);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            end = RelayEnd.Aborted;
            error = e;
        }

        await writer.CompleteAsync(error).ConfigureAwait(false);
        return end;
    }

    private async Task SendAsync(PipeReader reader, Socket destination)
    {
        try
        {
            while (true)
            {
                ReadResult result = await reader.ReadAsync().ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                foreach (ReadOnlyMemory<byte> segment in buffer)
                {
                    ReadOnlyMemory<byte> rest = segment;
                    while (!rest.IsEmpty)
                    {
                        int sent = await destination.SendAsync(rest, SocketFlags.None).ConfigureAwait(false);
                        rest = rest[sent..];
                    }
                }

                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }

            destination.Shutdown(SocketShutdown.Send);
            await reader.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The source was reset or aborted (its error comes through the pipe), or this side failed:
            // either way the destination gets an RST rather than a clean FIN.
            await reader.CompleteAsync(e).ConfigureAwait(false);
            SocketAbort.Reset(destination);
        }
    }
}
