using System.ComponentModel;

namespace ToaProxy.Capture.Linux;

/// <summary>
/// An eventfd that other threads write to so that a capture thread blocked in poll() wakes up
/// (a drain barrier was registered, or stop was requested).
/// </summary>
internal sealed unsafe class WakeSignal : IDisposable
{
    private readonly FileDescriptorHandle _handle;

    public WakeSignal()
    {
        int fd = LinuxLibC.EventFd(0, LinuxLibC.EfdNonBlock | LinuxLibC.EfdCloExec);
        if (fd < 0)
        {
            throw new Win32Exception();
        }

        _handle = new FileDescriptorHandle(fd);
    }

    public FileDescriptorHandle Handle => _handle;

    public void Signal()
    {
        ulong one = 1;
        try
        {
            // EAGAIN (counter saturated) still leaves the fd readable, which is all a wake-up needs.
            LinuxLibC.Write(_handle, &one, sizeof(ulong));
        }
        catch (ObjectDisposedException)
        {
            // The capture thread is gone; there is nothing left to wake.
        }
    }

    /// <summary>Clears pending wake-ups; called by the capture thread, which holds a reference on the handle.</summary>
    public void Reset()
    {
        ulong value;
        LinuxLibC.Read(_handle.Fd, &value, sizeof(ulong));
    }

    public void Dispose() => _handle.Dispose();
}
