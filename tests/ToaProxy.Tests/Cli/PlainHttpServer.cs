using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ToaProxy.Tests.Cli;

/// <summary>
/// An HTTP server that does not read PROXY protocol, like nginx without "proxy_protocol": a request
/// line gets 200, anything else (a PROXY header first) gets 400. Serves until disposed.
/// </summary>
internal sealed class PlainHttpServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;

    public PlainHttpServer()
    {
        _listener.Start();
        _serving = ServeAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        try
        {
            _serving.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // Stopping the listener ends the accept loop with an exception; that is the way out.
        }

        _stop.Dispose();
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            using Socket client = await _listener.AcceptSocketAsync(_stop.Token);
            byte[] buffer = new byte[1024];
            int n = await client.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
            string status = Encoding.ASCII.GetString(buffer, 0, n).StartsWith("HEAD ", StringComparison.Ordinal) ? "200 OK" : "400 Bad Request";
            await client.SendAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"), SocketFlags.None, _stop.Token);
        }
    }
}
