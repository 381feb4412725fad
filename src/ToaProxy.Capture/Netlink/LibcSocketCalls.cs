using System.Runtime.InteropServices;

namespace ToaProxy.Capture.Netlink;

/// <summary>
/// The libc calls .NET does not offer for netlink: the managed Socket constructor rejects
/// AF_NETLINK, but it wraps an fd opened here, after which managed Send/Receive work.
/// </summary>
internal static unsafe partial class LibcSocketCalls
{
    public const int AfNetlink = 16;
    public const int SockRaw = 3;
    public const int SockCloexec = 0x80000;

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    public static partial int Bind(int fd, byte* address, uint addressLength);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);
}
