namespace ToaProxy.Capture;

/// <summary>
/// The waiters of <see cref="ICaptureBackend.WaitForDrainAsync"/>. Each registration takes the next
/// sequence number. The capture thread snapshots the sequence before it starts a receive pass; when
/// that pass ends with the kernel queue empty, every packet queued before the snapshot was handed to
/// the sink, so every waiter with a sequence at or below the snapshot is released.
/// </summary>
internal sealed class DrainBarrier
{
    private readonly Lock _gate = new();
    private readonly Queue<(long Sequence, TaskCompletionSource Completion)> _waiters = new();
    private long _lastSequence;
    private bool _closed;

    /// <summary>The sequence of the latest registration; read before a receive pass begins.</summary>
    public long Snapshot()
    {
        lock (_gate)
        {
            return _lastSequence;
        }
    }

    /// <summary>Registers a waiter; null when the barrier is closed (the capture has stopped).</summary>
    public Task? Register()
    {
        lock (_gate)
        {
            if (_closed)
            {
                return null;
            }

            // Continuations must not run on the capture thread.
            var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Enqueue((++_lastSequence, completion));
            return completion.Task;
        }
    }

    /// <summary>Releases the waiters registered at or before <paramref name="snapshot"/>.</summary>
    public void ReleaseThrough(long snapshot)
    {
        lock (_gate)
        {
            while (_waiters.TryPeek(out var waiter) && waiter.Sequence <= snapshot)
            {
                _waiters.Dequeue();
                waiter.Completion.TrySetResult();
            }
        }
    }

    /// <summary>Releases every waiter and makes later registrations complete at once.</summary>
    public void Close()
    {
        lock (_gate)
        {
            _closed = true;
            while (_waiters.TryDequeue(out var waiter))
            {
                waiter.Completion.TrySetResult();
            }
        }
    }
}
