namespace ToaProxy.Testing;

/// <summary>NFQUEUE numbers and iptables rule tags unique to one test, so tests (and test
/// assemblies) running side by side never share a queue or remove each other's rules.</summary>
public static class KernelIds
{
    private static int s_nextQueue = 1000 + (Environment.ProcessId % 500 * 30) + Random.Shared.Next(0, 30);

    public static ushort NextQueue() => (ushort)(Interlocked.Increment(ref s_nextQueue) % 19000 + 1000);

    public static string NewTag() => "test-" + Guid.NewGuid().ToString("N")[..12];
}
