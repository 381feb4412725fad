using System.Globalization;

namespace ToaProxy.Capture.Nfqueue;

/// <summary>
/// A queue's drop counters from /proc/net/netfilter/nfnetlink_queue, whose rows are
/// "queue portid waiting copy_mode copy_range queue_dropped user_dropped id_sequence 1".
/// </summary>
internal readonly record struct NfqueueKernelCounters(long QueueDropped, long UserDropped)
{
    private const string ProcPath = "/proc/net/netfilter/nfnetlink_queue";

    /// <summary>Dropped because the queue was full (queue_dropped) or the socket buffer was (user_dropped).</summary>
    public long Drops => QueueDropped + UserDropped;

    public static NfqueueKernelCounters Read(ushort queueNumber)
    {
        try
        {
            foreach (string line in File.ReadLines(ProcPath))
            {
                string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length >= 7 && ushort.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out ushort queue) && queue == queueNumber)
                {
                    return new NfqueueKernelCounters(
                        long.Parse(fields[5], NumberStyles.None, CultureInfo.InvariantCulture),
                        long.Parse(fields[6], NumberStyles.None, CultureInfo.InvariantCulture));
                }
            }
        }
        catch (IOException)
        {
            // The file exists only once nfnetlink_queue is loaded; no file means no drops to report.
        }

        return default;
    }
}
