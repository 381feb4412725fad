using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace ToaProxy.Relay.Epoll;

/// <summary>Names a Linux errno the way the managed socket path reports it ("ConnectionRefused: Connection refused"), so both paths log alike.</summary>
internal static class SocketErrorText
{
    public static string Describe(int errno)
    {
        SocketError name = errno switch
        {
            111 => SocketError.ConnectionRefused,
            110 => SocketError.TimedOut,
            113 => SocketError.HostUnreachable,
            101 => SocketError.NetworkUnreachable,
            99 => SocketError.AddressNotAvailable,
            104 => SocketError.ConnectionReset,
            24 or 23 => SocketError.TooManyOpenSockets,
            105 or 12 => SocketError.NoBufferSpaceAvailable,
            13 or 1 => SocketError.AccessDenied,
            _ => SocketError.SocketError,
        };
        return $"{name}: {Marshal.GetPInvokeErrorMessage(errno)}";
    }
}
