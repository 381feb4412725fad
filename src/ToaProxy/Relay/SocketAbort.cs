using System.Net.Sockets;

namespace ToaProxy.Relay;

internal static class SocketAbort
{
    /// <summary>Closes with SO_LINGER 0 so the peer gets an RST, not a FIN: how a reset is passed on.</summary>
    public static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed: nothing left to reset.
        }

        socket.Dispose();
    }
}
