using System.Collections.Concurrent;

namespace ToaProxy.Relay;

/// <summary>
/// The live relayed connections of all listeners: enforces idle timeouts from one periodic scan
/// (no timer per connection) and lets shutdown wait for connections to finish, then abort the rest.
/// </summary>
public sealed class ConnectionRegistry : IDisposable
{
    private readonly ConcurrentDictionary<long, LiveConnection> _live = new();
    private readonly Timer _idleScan;
    private long _nextId;
    private TaskCompletionSource? _emptied;

    public ConnectionRegistry()
    {
        _idleScan = new Timer(_ => ScanIdle(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    public int Count => _live.Count;

    public long NextId() => Interlocked.Increment(ref _nextId);

    internal void Add(LiveConnection connection) => _live[connection.Id] = connection;

    internal void Remove(long id)
    {
        _live.TryRemove(id, out _);
        if (_live.IsEmpty)
        {
            Volatile.Read(ref _emptied)?.TrySetResult();
        }
    }

    /// <summary>Waits until no connection is left, or <paramref name="timeout"/>; then aborts what remains. Returns how many were aborted.</summary>
    public async Task<int> DrainAsync(TimeSpan timeout)
    {
        var emptied = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _emptied, emptied);
        if (!_live.IsEmpty)
        {
            await Task.WhenAny(emptied.Task, Task.Delay(timeout)).ConfigureAwait(false);
        }

        int aborted = 0;
        foreach (LiveConnection connection in _live.Values)
        {
            connection.Abort();
            aborted++;
        }

        return aborted;
    }

    public void Dispose() => _idleScan.Dispose();

    private void ScanIdle()
    {
        long now = Environment.TickCount64;
        foreach (LiveConnection connection in _live.Values)
        {
            if (now - connection.LastActivity > connection.IdleTimeoutMs && !connection.IsAborted)
            {
                Interlocked.Increment(ref connection.Counters.IdleTimeouts);
                connection.Abort();
            }
        }
    }
}
