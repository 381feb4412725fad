using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace ToaProxy.Testing;

/// <summary>
/// A TCP port free on both 127.0.0.1 and ::1, for a server another process will bind (toaproxy,
/// nginx, HAProxy). The port is released before that process binds it, so it is taken from outside
/// the kernel's ephemeral range (net.ipv4.ip_local_port_range): there no connect() or bind(0) of a
/// parallel test can take it in between, as they could a port from bind(0) (seen: "Address already in
/// use" when a proxy started). Ports are handed out in turn from a random start, so one test process
/// never gets the same port twice and parallel test processes rarely meet; callers that start a
/// server still retry on "address in use" where they can (the backends here do).
/// </summary>
public static class FreePort
{
    private const int Attempts = 200;
    private const int LowestPort = 10000;
    private const int SmallestUsefulRange = 1000;

    private static readonly (int First, int Count) Range = OutsideEphemeralRange();
    private static int _next = Random.Shared.Next(Range.Count);

    public static int Allocate()
    {
        for (int attempt = 0; attempt < Attempts; attempt++)
        {
            int port = Range.Count > 0 ? Range.First + (int)((uint)Interlocked.Increment(ref _next) % (uint)Range.Count) : Ephemeral();
            if (IsFree(IPAddress.Loopback, port) && IsFree(IPAddress.IPv6Loopback, port))
            {
                return port;
            }
        }

        throw new InvalidOperationException($"No port free on both 127.0.0.1 and ::1 after {Attempts} attempts.");
    }

    /// <summary>The larger of the stretches below and above the ephemeral range; none (Count 0) when both are too small to be worth it.</summary>
    private static (int First, int Count) OutsideEphemeralRange()
    {
        string[] bounds = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
        int low = int.Parse(bounds[0], CultureInfo.InvariantCulture);
        int high = int.Parse(bounds[1], CultureInfo.InvariantCulture);
        (int First, int Count) below = (LowestPort, Math.Max(0, low - LowestPort));
        (int First, int Count) above = (high + 1, Math.Max(0, 65535 - high));
        (int First, int Count) larger = below.Count >= above.Count ? below : above;
        return larger.Count >= SmallestUsefulRange ? larger : (0, 0);
    }

    private static int Ephemeral()
    {
        using var v4 = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        v4.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)v4.LocalEndPoint!).Port;
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
