using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ToaProxy.Tests.EndToEnd;

/// <summary>A client's HTTP/1.1 GET (Connection: close) through the proxy; returns the client's own
/// endpoint (its source port identifies the connection in backend logs) and the response.
/// <paramref name="preamble"/> goes out in the same write before the request (e.g. a forged PROXY
/// header); <paramref name="source"/> picks the client's own address (e.g. 127.0.0.2).</summary>
internal static class HttpThroughProxy
{
    public static async Task<(IPEndPoint Local, string Response)> GetAsync(IPEndPoint proxy, TimeSpan timeout, byte[]? preamble = null, IPAddress? source = null)
    {
        using var socket = new Socket(proxy.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (source is not null)
        {
            socket.Bind(new IPEndPoint(source, 0));
        }

        using var cts = new CancellationTokenSource(timeout);
        await socket.ConnectAsync(proxy, cts.Token);
        var local = (IPEndPoint)socket.LocalEndPoint!;
        byte[] request = [.. preamble ?? [], .. "GET / HTTP/1.1\r\nHost: e2e.test\r\nConnection: close\r\n\r\n"u8];
        await socket.SendAsync(request, SocketFlags.None, cts.Token);
        byte[] response = await SocketStreams.ReadToEndAsync(socket, timeout);
        return (local, Encoding.ASCII.GetString(response));
    }
}
