using System.Runtime.InteropServices;

namespace ToaProxy.Relay.Epoll;

/// <summary>
/// The libc calls of the epoll relay. The managed Socket costs extra calls per connection (fcntl to
/// set non-blocking, a zero-byte MSG_PEEK receive before each read, a poll after connect) and runs
/// a connection's two sockets on two event threads; these let one thread own both with raw calls.
/// </summary>
internal static unsafe partial class RelaySystemCalls
{
    public const int AfInet = 2;
    public const int AfInet6 = 10;
    public const int SockStream = 1;
    public const int SockNonBlock = 0x800;
    public const int SockCloExec = 0x80000;

    public const int SolSocket = 1;
    public const int SoError = 4;
    public const int SoLinger = 13;
    public const int IpProtoTcp = 6;
    public const int TcpNoDelay = 1;

    public const int MsgNoSignal = 0x4000;
    public const int ShutWr = 1;

    public const uint EpollIn = 0x001;
    public const uint EpollOut = 0x004;
    public const uint EpollErr = 0x008;
    public const uint EpollHup = 0x010;
    public const uint EpollRdHup = 0x2000;
    public const uint EpollExclusive = 1u << 28;
    public const uint EpollEt = 1u << 31;

    public const int EpollCtlAdd = 1;
    public const int EpollCtlDel = 2;
    public const int EpollCtlMod = 3;

    public const int EfdNonBlock = 0x800;
    public const int EfdCloExec = 0x80000;
    public const int EpollCloExec = 0x80000;

    public const int EIntr = 4;
    public const int EAgain = 11;
    public const int EInProgress = 115;
    public const int ECONNABORTED = 103;
    public const int ECONNRESET = 104;

    /// <summary>struct epoll_event is packed (12 bytes) on x86-64 and naturally aligned (16) elsewhere.</summary>
    public static readonly int EpollEventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    /// <summary>Offset of epoll_event.data.</summary>
    public static readonly int EpollDataOffset = EpollEventSize == 12 ? 4 : 8;

    public static int LastError => Marshal.GetLastPInvokeError();

    [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int EpollCreate(int flags);

    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    public static partial int EpollCtl(int epoll, int operation, int fd, byte* epollEvent);

    [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    public static partial int EpollWait(int epoll, byte* events, int maxEvents, int timeoutMilliseconds);

    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initialValue, int flags);

    [LibraryImport("libc", EntryPoint = "accept4", SetLastError = true)]
    public static partial int Accept4(int fd, byte* address, int* addressLength, int flags);

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "connect", SetLastError = true)]
    public static partial int Connect(int fd, byte* address, int addressLength);

    [LibraryImport("libc", EntryPoint = "getsockname", SetLastError = true)]
    public static partial int GetSockName(int fd, byte* address, int* addressLength);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    public static partial nint Recv(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    public static partial nint Send(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", EntryPoint = "shutdown", SetLastError = true)]
    public static partial int Shutdown(int fd, int how);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSockOpt(int fd, int level, int name, void* value, int valueLength);

    [LibraryImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
    public static partial int GetSockOpt(int fd, int level, int name, void* value, int* valueLength);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, void* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, void* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    /// <summary>Closes with SO_LINGER 0, so the peer gets an RST: how a reset is passed on.</summary>
    public static void Reset(int fd)
    {
        int* linger = stackalloc int[2] { 1, 0 };
        SetSockOpt(fd, SolSocket, SoLinger, linger, 2 * sizeof(int));
        Close(fd);
    }

    /// <summary>The socket's pending error (SO_ERROR), 0 when there is none.</summary>
    public static int PendingError(int fd)
    {
        int error = 0;
        int length = sizeof(int);
        return GetSockOpt(fd, SolSocket, SoError, &error, &length) == 0 ? error : LastError;
    }
}
