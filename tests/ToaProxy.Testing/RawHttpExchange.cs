using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ToaProxy.Testing;

/// <summary>
/// One HTTP/1.1 GET over a plain socket, preceded by arbitrary bytes (a PROXY header) in the same
/// write, because nginx and HAProxy fail a header that arrives in pieces. Reads until the server
/// closes (Connection: close) or the timeout passes.
/// </summary>
public static class RawHttpExchange
{
    public static string Get(IPEndPoint target, ReadOnlySpan<byte> preamble, TimeSpan timeout, string path = "/")
    {
        byte[] request = [.. preamble, .. Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: backend.test\r\nConnection: close\r\n\r\n")];
        using var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var cancel = new CancellationTokenSource(timeout);
        socket.ConnectAsync(target, cancel.Token).AsTask().GetAwaiter().GetResult();
        socket.SendAsync(request, SocketFlags.None, cancel.Token).AsTask().GetAwaiter().GetResult();

        var response = new MemoryStream();
        byte[] buffer = new byte[4096];
        while (true)
        {
            int read;
            try
            {
                read = socket.ReceiveAsync(buffer, SocketFlags.None, cancel.Token).AsTask().GetAwaiter().GetResult();
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                break; // A rejected header is answered with a reset; the caller sees an empty response.
            }

            if (read == 0)
            {
                break;
            }

            response.Write(buffer, 0, read);
        }

        return Encoding.ASCII.GetString(response.ToArray());
    }
}
