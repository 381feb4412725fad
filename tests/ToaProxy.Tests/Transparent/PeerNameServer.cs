using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ToaProxy.Tests.Transparent;

/// <summary>
/// The smallest backend that speaks no PROXY protocol: for each connection it reads one line,
/// records getpeername() (Socket.RemoteEndPoint) and answers "peer ADDR:PORT". Its listening
/// socket is created by the caller (inside a test namespace).
/// </summary>
internal sealed class PeerNameServer : IDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;

    public PeerNameServer(Socket listener)
    {
        _listener = listener;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    public ConcurrentQueue<IPEndPoint> Peers { get; } = new();

    /// <summary>A listening socket for it; call inside the namespace.</summary>
    public static Socket Listen(IPAddress address)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(address, 0));
        socket.Listen(1024);
        return socket;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Dispose();
        _acceptLoop.Wait(TimeSpan.FromSeconds(5));
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = AnswerAsync(connection);
        }
    }

    private async Task AnswerAsync(Socket connection)
    {
        using (connection)
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            try
            {
                byte[] buffer = new byte[256];
                int read = await connection.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                var peer = (IPEndPoint)connection.RemoteEndPoint!;
                Peers.Enqueue(peer);
                if (read > 0)
                {
                    await connection.SendAsync(Encoding.ASCII.GetBytes($"peer {peer}\n"), SocketFlags.None, timeout.Token);
                }

                connection.Shutdown(SocketShutdown.Send);
                await connection.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
                // The test sees a missing answer on its side.
            }
        }
    }
}
