using ToaProxy.Protocol;

namespace ToaProxy.Capture.Tests.Support;

/// <summary>
/// Records, allocation-free, how many bytes the capture thread had allocated at each frame, so a test
/// can show that the receive loop allocates nothing between frames.
/// </summary>
public sealed class AllocationRecordingSink(int capacity) : IFrameSink
{
    private readonly long[] _allocatedAtFrame = new long[capacity];
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public ReadOnlySpan<long> AllocatedAtFrame => _allocatedAtFrame.AsSpan(0, Math.Min(Count, _allocatedAtFrame.Length));

    public bool OnFrame(Span<byte> frame, LinkType linkType, bool mayModify)
    {
        if (_count < _allocatedAtFrame.Length)
        {
            _allocatedAtFrame[_count] = GC.GetAllocatedBytesForCurrentThread();
            Volatile.Write(ref _count, _count + 1);
        }

        return false;
    }
}
