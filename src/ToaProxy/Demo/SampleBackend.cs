using System.Net;
using System.Net.Sockets;
using System.Text;
using ToaProxy.Protocol;

namespace ToaProxy.Demo;

/// <summary>
/// The demo's stand-in for nginx: a PROXY-aware HTTP server that reads the v2 or v1 header the
/// proxy sends, prints the real client it names, and answers with it.
/// </summary>
internal sealed class SampleBackend : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly TextWriter _output;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;

    private SampleBackend(Socket listener, TextWriter output)
    {
        _listener = listener;
        _output = output;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public static SampleBackend Start(IPEndPoint endpoint, TextWriter output)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(endpoint);
            socket.Listen(128);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new InvalidOperationException(
                $"The demo's sample backend cannot listen on the upstream {endpoint} ({e.SocketErrorCode}): stop what uses it (a real nginx?) or point the listener's Upstream elsewhere.", e);
        }

        return new SampleBackend(socket, output);
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = ServeAsync(connection);
        }
    }

    private async Task ServeAsync(Socket connection)
    {
        using (connection)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                timeout.CancelAfter(TimeSpan.FromSeconds(10));
                byte[] buffer = new byte[2048];
                int filled = 0;
                string? client = null;
                while (client is null && filled < buffer.Length)
                {
                    int n = await connection.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, timeout.Token).ConfigureAwait(false);
                    if (n == 0)
                    {
                        return;
                    }

                    filled += n;
                    client = Describe(buffer.AsSpan(0, filled), out bool invalid);
                    if (invalid)
                    {
                        _output.WriteLine("backend: no valid PROXY header, connection closed");
                        return;
                    }
                }

                var peer = (IPEndPoint)connection.RemoteEndPoint!;
                _output.WriteLine($"backend: PROXY header says real client {client} (TCP peer {peer} is the proxy)");
                string body = $"hello {client}\n";
                await connection.SendAsync(
                    Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}"),
                    SocketFlags.None,
                    timeout.Token).ConfigureAwait(false);
                connection.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // A demo client that went away; nothing to report.
            }
        }
    }

    /// <summary>The header's source as text, null while incomplete; <paramref name="invalid"/> when it is no PROXY header.</summary>
    private static string? Describe(ReadOnlySpan<byte> input, out bool invalid)
    {
        invalid = false;
        if (input.Length > 0 && input[0] == (byte)'P')
        {
            ProxyV1ReadResult v1 = ProxyV1Reader.Read(input);
            invalid = v1.Status == ProxyReadStatus.Invalid;
            return v1.Status == ProxyReadStatus.Complete ? Format(v1.Header, "v1") : null;
        }

        ProxyV2ReadResult v2 = ProxyV2Reader.Read(input);
        invalid = v2.Status == ProxyReadStatus.Invalid;
        return v2.IsComplete ? Format(v2.Header, "v2") : null;
    }

    private static string Format(in ProxyHeader header, string version) => header.HasAddresses
        ? (header.Source.IsIPv4 ? $"{header.Source}:{header.SourcePort}" : $"[{header.Source}]:{header.SourcePort}") + $" (PROXY {version})"
        : $"unknown (PROXY {version} LOCAL)";
}
