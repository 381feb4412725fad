using System.Net;
using System.Net.Sockets;

namespace ToaProxy.Capture.Tests.Support;

/// <summary>A listener on a loopback address with an OS-chosen port.</summary>
public sealed class LoopbackListener : IDisposable
{
    private readonly Socket _socket;

    public LoopbackListener(string address)
    {
        var ip = IPAddress.Parse(address);
        _socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _socket.Bind(new IPEndPoint(ip, 0));
        _socket.Listen(16);
        EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
    }

    public IPEndPoint EndPoint { get; }

    public ushort Port => (ushort)EndPoint.Port;

    /// <summary>Connects a client and accepts it.</summary>
    public async Task<(Socket Client, Socket Server)> ConnectAsync(CancellationToken cancellationToken)
    {
        var client = new Socket(EndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await client.ConnectAsync(EndPoint, cancellationToken);
            var server = await AcceptAsync(cancellationToken);
            return (client, server);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>Accepts a connection the test opened itself (e.g. from a bound client port).</summary>
    public async Task<Socket> AcceptAsync(CancellationToken cancellationToken) => await _socket.AcceptAsync(cancellationToken);

    public void Dispose() => _socket.Dispose();
}
