using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace ToaProxy.Tests.EndToEnd;

/// <summary>Bounded reads and writes the relay tests need on raw sockets.</summary>
internal static class SocketStreams
{
    /// <summary>A client connected to 127.0.0.1:<paramref name="port"/>, Nagle off.</summary>
    public static async Task<Socket> ConnectLoopbackAsync(int port, TimeSpan timeout)
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var cts = new CancellationTokenSource(timeout);
        await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cts.Token);
        return client;
    }

    /// <summary>Reads until EOF (FIN); throws on RST or after <paramref name="timeout"/>.</summary>
    public static async Task<byte[]> ReadToEndAsync(Socket socket, TimeSpan timeout, byte[]? prefix = null)
    {
        using var cts = new CancellationTokenSource(timeout);
        using var collected = new MemoryStream();
        if (prefix is not null)
        {
            collected.Write(prefix);
        }

        byte[] buffer = new byte[64 * 1024];
        while (true)
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            if (n == 0)
            {
                return collected.ToArray();
            }

            collected.Write(buffer, 0, n);
        }
    }

    /// <summary>"ping" from the client reaches the upstream and "pong" comes back: the connection relays both ways.</summary>
    public static async Task PingPongAsync(Socket client, Socket upstream, TimeSpan timeout)
    {
        await SendAllAsync(client, "ping"u8.ToArray(), timeout);
        Assert.Equal("ping"u8.ToArray(), await ReadExactlyAsync(upstream, 4, timeout));
        await SendAllAsync(upstream, "pong"u8.ToArray(), timeout);
        Assert.Equal("pong"u8.ToArray(), await ReadExactlyAsync(client, 4, timeout));
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes; throws on EOF, RST or after <paramref name="timeout"/>.</summary>
    public static async Task<byte[]> ReadExactlyAsync(Socket socket, int count, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        byte[] buffer = new byte[count];
        int filled = 0;
        while (filled < count)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, cts.Token);
            if (n == 0)
            {
                throw new EndOfStreamException($"closed after {filled} of {count} bytes");
            }

            filled += n;
        }

        return buffer;
    }

    /// <summary>Reads until EOF hashing as it goes, so 10 MB needs no 10 MB buffer.</summary>
    public static async Task<(long Length, byte[] Sha256)> HashToEndAsync(Socket socket, TimeSpan timeout, byte[]? prefix = null)
    {
        using var cts = new CancellationTokenSource(timeout);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long length = 0;
        if (prefix is not null)
        {
            hash.AppendData(prefix);
            length += prefix.Length;
        }

        byte[] buffer = new byte[64 * 1024];
        while (true)
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            if (n == 0)
            {
                return (length, hash.GetHashAndReset());
            }

            hash.AppendData(buffer, 0, n);
            length += n;
        }
    }

    public static async Task SendAllAsync(Socket socket, ReadOnlyMemory<byte> data, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (!data.IsEmpty)
        {
            int n = await socket.SendAsync(data, SocketFlags.None, cts.Token);
            data = data[n..];
        }
    }

    /// <summary>Closes with SO_LINGER 0: the peer gets an RST.</summary>
    public static void Reset(Socket socket)
    {
        socket.LingerState = new LingerOption(true, 0);
        socket.Close();
    }
}
