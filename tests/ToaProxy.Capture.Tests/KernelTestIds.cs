namespace ToaProxy.Capture.Tests;

/// <summary>Queue numbers and rule tags no other test (or engineer's concurrent run) uses.</summary>
internal static class KernelTestIds
{
    private static int s_nextQueue = 20000 + Random.Shared.Next(0, 40000);

    public static ushort NextQueue() => (ushort)Interlocked.Increment(ref s_nextQueue);

    public static string NewTag() => "test-" + Guid.NewGuid().ToString("N")[..12];
}
