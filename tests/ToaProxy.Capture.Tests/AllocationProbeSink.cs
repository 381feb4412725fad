using ToaProxy.Protocol;

namespace ToaProxy.Capture.Tests;

/// <summary>Records the capture thread's allocated-bytes counter at each frame, allocating nothing
/// itself, so differences between frames are what the backend allocated per packet.</summary>
internal sealed class AllocationProbeSink : IFrameSink
{
    private readonly long[] _samples = new long[256];
    private int _count;

    public long[] Samples => _samples[..Volatile.Read(ref _count)];

    public bool OnFrame(Span<byte> frame, LinkType linkType, bool mayModify)
    {
        int index = _count;
        if (index < _samples.Length)
        {
            _samples[index] = GC.GetAllocatedBytesForCurrentThread();
            Volatile.Write(ref _count, index + 1);
        }

        return false;
    }
}
