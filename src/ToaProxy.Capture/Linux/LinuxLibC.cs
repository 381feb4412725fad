using System.Runtime.InteropServices;

namespace ToaProxy.Capture.Linux;

/// <summary>
/// The libc calls the capture loops make directly: the managed Socket hides the fd-level control they
/// need (socket with protocol 0 so nothing is queued before the filter is attached, MSG_DONTWAIT
/// receives into a pinned buffer, a PACKET_RX_RING mapped into the process, poll over several fds, eventfd).
/// </summary>
internal static unsafe partial class LinuxLibC
{
    public const int AfPacket = 17;
    public const int SockDgram = 2;
    public const int SockNonBlock = 0x800;
    public const int SockCloExec = 0x80000;

    public const int SolSocket = 1;
    public const int SoAttachFilter = 26;
    public const int SolPacket = 263;
    public const int PacketStatistics = 6;
    public const int PacketRxRing = 5;
    public const int PacketVersion = 10;
    public const int TPacketV2 = 1;
    public const int PacketIgnoreOutgoing = 23;

    public const int ProtRead = 1;
    public const int ProtWrite = 2;
    public const int MapShared = 1;

    /// <summary>htons(ETH_P_ALL) as the 16-bit value stored in sockaddr_ll.sll_protocol.</summary>
    public const ushort EthPAllNetworkOrder = 0x0300;

    public const int MsgDontWait = 0x40;

    public const int EfdNonBlock = 0x800;
    public const int EfdCloExec = 0x80000;

    public const short PollIn = 0x001;
    public const short PollErr = 0x008;
    public const short PollNval = 0x020;

    public const int EIntr = 4;
    public const int EBadF = 9;
    public const int EAgain = 11;
    public const int ENoDev = 19;
    public const int ENoProtoOpt = 92;
    public const int ENetDown = 100;

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    public static partial int Bind(int fd, void* address, int addressLength);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSockOpt(int fd, int level, int name, void* value, int valueLength);

    [LibraryImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
    public static partial int GetSockOpt(int fd, int level, int name, void* value, ref int valueLength);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    public static partial nint Recv(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint count, int timeoutMilliseconds);

    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initialValue, int flags);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, void* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(SafeHandle fd, void* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    public static partial void* Mmap(void* address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(void* address, nuint length);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "if_nametoindex", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial uint IfNameToIndex(string name);
}
