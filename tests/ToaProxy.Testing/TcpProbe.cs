using System.Net;
using System.Net.Sockets;

namespace ToaProxy.Testing;

/// <summary>Waits until a server accepts TCP connections. The probe connects and closes without
/// sending, which nginx and HAProxy (with dontlognull) do not log as a request.</summary>
public static class TcpProbe
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromMilliseconds(500);

    /// <summary>True once <paramref name="endpoint"/> accepts; false on timeout or when <paramref name="keepWaiting"/> turns false (the server died).</summary>
    public static bool WaitUntilAccepting(IPEndPoint endpoint, TimeSpan timeout, Func<bool> keepWaiting) =>
        Poll.Until(() => !keepWaiting() || Accepts(endpoint), timeout) && keepWaiting();

    public static bool Accepts(IPEndPoint endpoint)
    {
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            using var cancel = new CancellationTokenSource(ConnectTimeout);
            socket.ConnectAsync(endpoint, cancel.Token).AsTask().GetAwaiter().GetResult();
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return false;
        }
    }
}
