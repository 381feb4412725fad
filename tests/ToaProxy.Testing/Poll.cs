using System.Diagnostics;

namespace ToaProxy.Testing;

/// <summary>Bounded polling for conditions that have no event to wait on (a log line appearing,
/// a port starting to accept).</summary>
public static class Poll
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(20);

    /// <summary>Calls <paramref name="probe"/> until it returns non-null or <paramref name="timeout"/> passes; the last result.</summary>
    public static T? Until<T>(Func<T?> probe, TimeSpan timeout)
        where T : class
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            T? result = probe();
            if (result is not null || clock.Elapsed >= timeout)
            {
                return result;
            }

            Thread.Sleep(Interval);
        }
    }

    /// <summary>Calls <paramref name="condition"/> until true or <paramref name="timeout"/> passes.</summary>
    public static bool Until(Func<bool> condition, TimeSpan timeout) =>
        Until(() => condition() ? string.Empty : null, timeout) is not null;
}
