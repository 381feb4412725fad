using System.Net;
using System.Net.Sockets;

namespace ToaProxy.Testing;

/// <summary>
/// A TCP port free on both 127.0.0.1 and ::1, for a backend that listens on both. The port is
/// released before the caller binds it, so another process could take it in between; callers
/// that start a server should retry on "address in use" (the backends here do).
/// </summary>
public static class FreePort
{
    private const int Attempts = 50;

    public static int Allocate()
    {
        for (int attempt = 0; attempt < Attempts; attempt++)
        {
            using var v4 = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            v4.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            int port = ((IPEndPoint)v4.LocalEndPoint!).Port;
            if (IsFree(IPAddress.IPv6Loopback, port))
            {
                return port;
            }
        }

        throw new InvalidOperationException($"No port free on both 127.0.0.1 and ::1 after {Attempts} attempts.");
    }

    private static bool IsFree(IPAddress address, int port)
    {
        try
        {
            using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(address, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
