namespace ToaProxy.Capture.Tests.Support;

/// <summary>Packets the kernel received on lo (all traffic, from /proc/net/dev): a lower bound for a test's own packets.</summary>
public static class LoopbackCounters
{
    public static long ReceivedPackets()
    {
        foreach (string line in File.ReadLines("/proc/net/dev"))
        {
            string trimmed = line.TrimStart();
            if (trimmed.StartsWith("lo:", StringComparison.Ordinal))
            {
                // "lo: rx_bytes rx_packets ..."
                return long.Parse(trimmed[3..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
            }
        }

        throw new InvalidOperationException("/proc/net/dev has no lo line.");
    }
}
