using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ToaProxy.Tests.EndToEnd;

/// <summary>A client's HTTP/1.1 GET (Connection: close) through the proxy; returns the client's own
/// endpoint (its source port identifies the connection in backend logs) and the response.</summary>
internal static class HttpThroughProxy
{
    public static async Task<(IPEndPoint Local, string Response)> GetAsync(IPEndPoint proxy, TimeSpan timeout)
    {
        using var socket = new Socket(proxy.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var cts = new CancellationTokenSource(timeout);
        await socket.ConnectAsync(proxy, cts.Token);
        var local = (IPEndPoint)socket.LocalEndPoint!;
        await socket.SendAsync("GET / HTTP/1.1\r\nHost: e2e.test\r\nConnection: close\r\n\r\n"u8.ToArray(), SocketFlags.None, cts.Token);
        byte[] response = await SocketStreams.ReadToEndAsync(socket, timeout);
        return (local, Encoding.ASCII.GetString(response));
    }
}
