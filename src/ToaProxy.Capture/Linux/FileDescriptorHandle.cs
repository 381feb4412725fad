using System.Runtime.InteropServices;

namespace ToaProxy.Capture.Linux;

/// <summary>
/// Owns a Linux file descriptor. A SafeHandle so that a call racing with disposal either runs on the
/// still-open fd or fails with ObjectDisposedException — never on a reused fd number.
/// </summary>
internal sealed class FileDescriptorHandle : SafeHandle
{
    public FileDescriptorHandle(int fd)
        : base(invalidHandleValue: -1, ownsHandle: true)
    {
        SetHandle(fd);
    }

    public override bool IsInvalid => handle == -1;

    public int Fd => (int)handle;

    protected override bool ReleaseHandle() => LinuxLibC.Close((int)handle) == 0;
}
