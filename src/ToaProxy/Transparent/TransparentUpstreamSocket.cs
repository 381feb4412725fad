using System.Net;
using System.Net.Sockets;

namespace ToaProxy.Transparent;

/// <summary>
/// Opens an upstream connection from the real client's address: IP_TRANSPARENT (or
/// IPV6_TRANSPARENT) lets the socket bind an address that is not the host's, SO_MARK lets the
/// mangle rules recognise the proxy's connections. The raw option calls matter: SetSocketOption
/// with (SocketOptionName)19 silently sets IP_PKTINFO instead.
/// </summary>
public static class TransparentUpstreamSocket
{
    private const int SolSocket = 1;
    private const int SoMark = 36;
    private const int SolIp = 0;
    private const int IpTransparent = 19;
    private const int IpBindAddressNoPort = 24;
    private const int SolIpv6 = 41;
    private const int Ipv6Transparent = 75;

    /// <summary>
    /// Connects from <paramref name="client"/>. When that exact connection already exists (the same
    /// client through two load-balancer nodes, or a TIME_WAIT of it) the kernel refuses the 4-tuple
    /// at connect; then it connects from the client's address with a port the kernel picks for this
    /// 4-tuple (IP_BIND_ADDRESS_NO_PORT). OwnPort says whether the client's port was kept.
    /// </summary>
    public static async Task<(Socket Socket, bool OwnPort)> ConnectAsync(IPEndPoint client, IPEndPoint upstream, int socketMark, CancellationToken cancellationToken)
    {
        // .NET binds TCP sockets with SO_REUSEADDR, so the bind succeeds while another proxy
        // connection uses the port and the clash shows as EADDRNOTAVAIL at connect; a port held by
        // a socket without it (a local client's own) fails the bind already.
        Socket? socket = Bound(client, socketMark, ownPort: true);
        if (socket is not null)
        {
            try
            {
                await socket.ConnectAsync(upstream, cancellationToken).ConfigureAwait(false);
                return (socket, true);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressNotAvailable)
            {
                socket.Dispose();
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        socket = Bound(client, socketMark, ownPort: false)!;
        try
        {
            await socket.ConnectAsync(upstream, cancellationToken).ConfigureAwait(false);
            return (socket, false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Opens and closes a transparent socket bound to an address this host does not own
    /// (a documentation address); throws the SocketException that a real connection would meet.</summary>
    public static void Probe(AddressFamily family, int socketMark)
    {
        IPAddress foreign = IPAddress.Parse(family == AddressFamily.InterNetworkV6 ? "2001:db8:ffff::1" : "203.0.113.254");
        Bound(new IPEndPoint(foreign, 0), socketMark, ownPort: false)!.Dispose();
    }

    /// <summary>Null when <paramref name="ownPort"/> and the port is in use.</summary>
    private static Socket? Bound(IPEndPoint client, int socketMark, bool ownPort)
    {
        var socket = new Socket(client.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            SetInt(socket, SolSocket, SoMark, socketMark);
            if (client.AddressFamily == AddressFamily.InterNetworkV6)
            {
                SetInt(socket, SolIpv6, Ipv6Transparent, 1);
            }
            else
            {
                SetInt(socket, SolIp, IpTransparent, 1);
            }

            if (!ownPort)
            {
                SetInt(socket, SolIp, IpBindAddressNoPort, 1);
            }

            socket.Bind(ownPort ? client : new IPEndPoint(client.Address, 0));
            return socket;
        }
        catch (SocketException e) when (ownPort && e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            socket.Dispose();
            return null;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static void SetInt(Socket socket, int level, int name, int value)
    {
        Span<byte> bytes = stackalloc byte[sizeof(int)];
        BitConverter.TryWriteBytes(bytes, value);
        socket.SetRawSocketOption(level, name, bytes);
    }
}
