using System.Buffers;
using System.Net.Sockets;

namespace ToaProxy.Relay;

/// <summary>
/// Copies bytes both ways between the client and upstream sockets with TCP semantics preserved: a FIN
/// from one side becomes a FIN to the other after all its data while the other direction keeps
/// flowing; an RST from one side becomes an RST on the other. Each direction is one loop that
/// receives into a buffer and sends it all before receiving again, so a slow reader stops its
/// writer after one buffer (the kernel's socket buffers do the rest) and memory stays bounded.
/// </summary>
internal sealed class DuplexRelay
{
    // 64 KiB: what one loopback or LRO read can return, so bulk transfers take few syscalls; below the
    // large-object heap's 85,000 bytes should the pool ever run dry.
    private const int BufferSize = 64 * 1024;

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
    public long LastActivity => Volatile.Read(ref _lastActivity);

    public async Task<(RelayEnd FromClient, RelayEnd FromUpstream)> RunAsync()
    {
        Task<RelayEnd> fromClient = CopyAsync(_client, _upstream, fromClientSide: true);
        RelayEnd fromUpstream = await CopyAsync(_upstream, _client, fromClientSide: false).ConfigureAwait(false);
        return (await fromClient.ConfigureAwait(false), fromUpstream);
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

    /// <summary>
    /// Sends all of <paramref name="data"/> on a socket in non-blocking mode: first as a plain send(2)
    /// from this thread, which takes everything unless the peer's window or the socket buffer is
    /// full, and only the rest through SendAsync. A socket that never has to wait for buffer space
    /// then never gets the runtime's cached send event args (a few hundred bytes per socket, held for
    /// its lifetime), which is most of what an idle keep-alive connection would keep.
    /// </summary>
    public static async ValueTask SendAllAsync(Socket destination, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        int sent = destination.Send(data.Span, SocketFlags.None, out SocketError error);
        if (error is not (SocketError.Success or SocketError.WouldBlock))
        {
            throw new SocketException((int)error);
        }

        while (sent < data.Length)
        {
            sent += await destination.SendAsync(data[sent..], SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<RelayEnd> CopyAsync(Socket source, Socket destination, bool fromClientSide)
    {
        byte[]? buffer = null;
        bool sending = false;
        try
        {
            while (true)
            {
                if (buffer is null)
                {
                    // Wait for data before taking a buffer, so an idle connection holds no buffer memory.
                    await source.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                    buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
                }

                int received = await source.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false);
                if (received == 0)
                {
                    break;
                }

                Volatile.Write(ref _lastActivity, Environment.TickCount64);
                Interlocked.Add(ref fromClientSide ? ref _counters.BytesFromClient : ref _counters.BytesFromUpstream, received);
                sending = true;
                await SendAllAsync(destination, buffer.AsMemory(0, received)).ConfigureAwait(false);

                sending = false;
                if (received < buffer.Length)
                {
                    // The source had no more queued: give the buffer back while waiting for the next data.
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = null;
                }
            }

            sending = true;
            destination.Shutdown(SocketShutdown.Send);
            return RelayEnd.Fin;
        }
        catch (SocketException e) when (!sending && e.SocketErrorCode == SocketError.ConnectionReset && Volatile.Read(ref _aborted) == 0)
        {
            Interlocked.Increment(ref fromClientSide ? ref _counters.ClientResets : ref _counters.UpstreamResets);
            SocketAbort.Reset(destination);
            return RelayEnd.Reset;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // Aborted, or the destination failed: either way the destination gets an RST, not a clean FIN.
            SocketAbort.Reset(destination);
            return RelayEnd.Aborted;
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }
}
