using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace ToaProxy.Capture.Netlink;

/// <summary>
/// A non-blocking raw netlink socket of one protocol family (NETLINK_NETFILTER for NFQUEUE), bound
/// to a kernel-assigned port id. Send and receive report errors as <see cref="SocketError"/> values
/// rather than exceptions so a packet loop allocates nothing.
/// </summary>
internal sealed class NetlinkSocket : IDisposable
{
    public const int NetlinkNetfilter = 12;

    private const int SolSocket = 1;
    private const int SoRcvbufForce = 33;
    private const int SockaddrNlLength = 12;

    private readonly Socket _socket;

    private NetlinkSocket(Socket socket)
    {
        _socket = socket;
    }

    public static unsafe NetlinkSocket Open(int protocol)
    {
        int fd = LibcSocketCalls.Socket(LibcSocketCalls.AfNetlink, LibcSocketCalls.SockRaw | LibcSocketCalls.SockCloexec, protocol);
        if (fd < 0)
        {
            throw NewOsError($"socket(AF_NETLINK, SOCK_RAW, {protocol})");
        }

        // sockaddr_nl { u16 family; u16 pad; u32 pid; u32 groups }: pid 0 lets the kernel pick one.
        byte* address = stackalloc byte[SockaddrNlLength];
        new Span<byte>(address, SockaddrNlLength).Clear();
        *(ushort*)address = LibcSocketCalls.AfNetlink;

        if (LibcSocketCalls.Bind(fd, address, SockaddrNlLength) != 0)
        {
            IOException error = NewOsError("bind(sockaddr_nl)");
            LibcSocketCalls.Close(fd);
            throw error;
        }

        var handle = new SafeSocketHandle(fd, ownsHandle: true);
        try
        {
            return new NetlinkSocket(new Socket(handle) { Blocking = false });
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Sets SO_RCVBUFFORCE (root may exceed net.core.rmem_max): a burst of queued packets
    /// waits here while the reader is busy, so a small buffer means drops.</summary>
    public void SetReceiveBufferSize(int bytes) => _socket.SetRawSocketOption(SolSocket, SoRcvbufForce, BitConverter.GetBytes(bytes));

    public int Send(ReadOnlySpan<byte> message, out SocketError error) => _socket.Send(message, SocketFlags.None, out error);

    /// <summary>Reads one datagram if one is waiting; <see cref="SocketError.WouldBlock"/> when none is.</summary>
    public int Receive(Span<byte> buffer, out SocketError error) => _socket.Receive(buffer, SocketFlags.None, out error);

    /// <summary>Waits up to <paramref name="microseconds"/> for a datagram; true when one is readable.</summary>
    public bool WaitReadable(int microseconds) => _socket.Poll(microseconds, SelectMode.SelectRead);

    public void Dispose() => _socket.Dispose();

    private static IOException NewOsError(string call)
    {
        int errno = Marshal.GetLastPInvokeError();
        return new IOException($"{call} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
    }
}
