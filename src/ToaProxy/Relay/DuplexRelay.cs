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
internal static class DuplexRelay
{
    // 64 KiB: what one loopback or LRO read can return, so bulk transfers take few syscalls; below the
    // large-object heap's 85,000 bytes should the pool ever run dry.
    public const int BufferSize = 64 * 1024;

    /// <summary>
    /// Starts both directions and returns; the direction that ends last calls <paramref name="closed"/>.
    /// No task awaits the pair, so an idle connection keeps only its two loops, not a third frame
    /// waiting on them; an exception no socket error explains is therefore handed to
    /// <paramref name="failed"/> (the connection is reset), never lost in an unobserved task.
    /// </summary>
    public static void Start(SocketConnection connection, Socket upstream, Action<SocketConnection> closed, Action<SocketConnection, Exception> failed)
    {
        connection.MarkActivity();
        _ = CopyAsync(connection, connection.Client, upstream, fromClientSide: true, closed, failed);
        _ = CopyAsync(connection, upstream, connection.Client, fromClientSide: false, closed, failed);
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

    /// <summary>
    /// What <paramref name="source"/> (in non-blocking mode) has queued, up to the span's length,
    /// without waiting: 0 when nothing is queued or the peer has sent its FIN (the copy loop then
    /// sees the FIN itself). Throws on a socket error such as a reset.
    /// </summary>
    public static int ReceiveAvailable(Socket source, Span<byte> destination)
    {
        int received = source.Receive(destination, SocketFlags.None, out SocketError error);
        return error switch
        {
            SocketError.Success => received,
            SocketError.WouldBlock => 0,
            _ => throw new SocketException((int)error),
        };
    }

    private static async Task CopyAsync(
        SocketConnection connection, Socket source, Socket destination, bool fromClientSide, Action<SocketConnection> closed, Action<SocketConnection, Exception> failed)
    {
        ListenerCounters counters = connection.Counters;
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

                connection.MarkActivity();
                Interlocked.Add(ref fromClientSide ? ref counters.BytesFromClient : ref counters.BytesFromUpstream, received);
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
            if (!connection.OtherDirectionEnded)
            {
                destination.Shutdown(SocketShutdown.Send);
            }

            // Otherwise this loop's end closes both sockets at once, and close(2) sends the same FIN
            // after any data still queued (the destination has nothing unread: its own loop read to the end).
        }
        catch (SocketException e) when (!sending && e.SocketErrorCode == SocketError.ConnectionReset && !connection.IsAborted)
        {
            Interlocked.Increment(ref fromClientSide ? ref counters.ClientResets : ref counters.UpstreamResets);
            SocketAbort.Reset(destination);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // Aborted, or the destination failed: either way the destination gets an RST, not a clean FIN.
            SocketAbort.Reset(destination);
        }
        catch (Exception e)
        {
            SocketAbort.Reset(destination);
            SocketAbort.Reset(source);
            failed(connection, e);
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            if (connection.EndDirection())
            {
                closed(connection);
            }
        }
    }
}
