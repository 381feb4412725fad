using System.Runtime.InteropServices;

namespace ToaProxy.Hosting;

/// <summary>
/// Whether the open-file limit (RLIMIT_NOFILE) covers what the listeners may hold: two descriptors per
/// relayed connection (client and upstream) and a reserve for the rest of the process. Past the limit
/// accept fails with EMFILE, and the runtime too may fail when it needs a descriptor (seen: the .NET
/// runtime ending the process with "Out of memory" when a new thread could not get one), so this is
/// said at start, as HAProxy does for maxconn.
/// </summary>
internal static partial class OpenFileBudget
{
    /// <summary>Descriptors the process holds besides relayed connections: runtime, threads, capture, admin, logs (about 200 seen).</summary>
    public const int Reserve = 512;

    private const int RlimitNofile = 7;

    /// <summary>Descriptors <paramref name="maxConnections"/> relayed connections may take, with the reserve.</summary>
    public static long Needed(long maxConnections) => (2 * maxConnections) + Reserve;

    /// <summary>The soft open-file limit, or null when unlimited or unreadable.</summary>
    public static long? Limit()
    {
        if (GetRLimit(RlimitNofile, out RLimit limit) != 0 || limit.Current == ulong.MaxValue || limit.Current > long.MaxValue)
        {
            return null;
        }

        return (long)limit.Current;
    }

    /// <summary>How many connections fit under <paramref name="limit"/>.</summary>
    public static long Connections(long limit) => Math.Max(0, (limit - Reserve) / 2);

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetRLimit(int resource, out RLimit limit);

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }
}
