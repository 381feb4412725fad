using System.Runtime.InteropServices;

namespace ToaProxy.Relay.Epoll;

/// <summary>
/// Fixed-size unmanaged buffers for one relay worker: only its thread rents and returns, so no lock,
/// and the memory never moves, so a pointer can go straight to recv/send without pinning.
/// </summary>
internal sealed unsafe class NativeBufferPool(int bufferSize, int maxRetained) : IDisposable
{
    private readonly Stack<nint> _free = new();

    public int BufferSize { get; } = bufferSize;

    public byte* Rent() => _free.TryPop(out nint buffer) ? (byte*)buffer : (byte*)NativeMemory.Alloc((nuint)BufferSize);

    public void Return(byte* buffer)
    {
        if (_free.Count < maxRetained)
        {
            _free.Push((nint)buffer);
        }
        else
        {
            NativeMemory.Free(buffer);
        }
    }

    public void Dispose()
    {
        while (_free.TryPop(out nint buffer))
        {
            NativeMemory.Free((void*)buffer);
        }
    }
}
