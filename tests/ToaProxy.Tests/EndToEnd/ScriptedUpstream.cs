using System.Net;
using System.Net.Sockets;
using ToaProxy.Protocol;

namespace ToaProxy.Tests.EndToEnd;

/// <summary>
/// An upstream whose behaviour the test scripts connection by connection: it accepts, reads the
/// PROXY v2 header the proxy must send first, and hands the test the socket plus what the header said.
/// </summary>
internal sealed class ScriptedUpstream : IDisposable
{
    private readonly Socket _listener;

    public ScriptedUpstream()
        : this(new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp), 0)
    {
    }

    /// <summary>Listens on 127.0.0.1:<paramref name="port"/> with <paramref name="listener"/>, e.g. a socket created in a test netns.</summary>
    public ScriptedUpstream(Socket listener, int port)
    {
        _listener = listener;
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
        _listener.Listen(512);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

    public async Task<UpstreamConnection> AcceptAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        Socket socket = await _listener.AcceptAsync(cts.Token);
        byte[] buffer = new byte[4096];
        int filled = 0;
        while (true)
        {
            ProxyV2ReadResult result = ProxyV2Reader.Read(buffer.AsSpan(0, filled));
            if (result.IsComplete)
            {
                return new UpstreamConnection(socket, result.Header, buffer[..result.HeaderLength], buffer[result.HeaderLength..filled]);
            }

            if (result.Status == ProxyReadStatus.Invalid || filled == buffer.Length)
            {
                throw new InvalidDataException($"upstream got no valid PROXY v2 header: {result.Rejection}");
            }

            int n = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, cts.Token);
            if (n == 0)
            {
                throw new EndOfStreamException("proxy closed before a complete PROXY header");
            }

            filled += n;
        }
    }

    public void Dispose() => _listener.Dispose();
}

/// <summary>One accepted upstream connection: its socket, its PROXY header (parsed and raw, for TLVs), and bytes read past the header.</summary>
internal sealed record UpstreamConnection(Socket Socket, ProxyHeader Header, byte[] HeaderBytes, byte[] Leftover) : IDisposable
{
    public void Dispose() => Socket.Dispose();
}
