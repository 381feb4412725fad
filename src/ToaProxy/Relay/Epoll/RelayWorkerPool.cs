using Microsoft.Extensions.Logging;

namespace ToaProxy.Relay.Epoll;

/// <summary>
/// The relay's event threads, one per CPU like HAProxy's nbthread: each accepts from every TCP
/// listener and relays the connections it accepted. Started on first use, so a process with only
/// HTTP listeners (or a test that never listens) runs none.
/// </summary>
public sealed class RelayWorkerPool : IDisposable
{
    private readonly ILoggerFactory _loggerFactory;
    private readonly Lock _lock = new();
    private RelayWorker[]? _workers;
    private int _nextListenerId;
    private bool _disposed;

    public RelayWorkerPool(ILoggerFactory loggerFactory, int? workerCount = null)
    {
        _loggerFactory = loggerFactory;
        WorkerCount = workerCount ?? Environment.ProcessorCount;
        ArgumentOutOfRangeException.ThrowIfLessThan(WorkerCount, 1, nameof(workerCount));
    }

    public int WorkerCount { get; }

    /// <summary>Starts accepting from <paramref name="fd"/> (a listening, non-blocking socket the caller keeps open until <see cref="RemoveListenerAsync"/> completes).</summary>
    internal AcceptSource AddListener(int fd, IConnectionAcceptor acceptor)
    {
        RelayWorker[] workers = EnsureStarted();
        var source = new AcceptSource(Interlocked.Increment(ref _nextListenerId), fd, acceptor);
        foreach (RelayWorker worker in workers)
        {
            worker.AddListener(source);
        }

        return source;
    }

    /// <summary>Completes when no worker will call accept(2) on the listener's socket any more, so it may be closed.</summary>
    internal Task RemoveListenerAsync(AcceptSource source)
    {
        RelayWorker[] workers;
        lock (_lock)
        {
            if (_workers is null || _disposed)
            {
                return Task.CompletedTask;
            }

            workers = _workers;
        }

        var removed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int remaining = workers.Length;
        foreach (RelayWorker worker in workers)
        {
            worker.RemoveListener(source, () =>
            {
                if (Interlocked.Decrement(ref remaining) == 0)
                {
                    removed.TrySetResult();
                }
            });
        }

        return removed.Task;
    }

    public void Dispose()
    {
        RelayWorker[]? workers;
        lock (_lock)
        {
            _disposed = true;
            workers = _workers;
        }

        foreach (RelayWorker worker in workers ?? [])
        {
            worker.Dispose();
        }
    }

    private RelayWorker[] EnsureStarted()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_workers is null)
            {
                ILogger logger = _loggerFactory.CreateLogger<RelayWorkerPool>();
                var workers = new RelayWorker[WorkerCount];
                for (int i = 0; i < workers.Length; i++)
                {
                    workers[i] = new RelayWorker(i, logger);
                    workers[i].Start();
                }

                _workers = workers;
            }

            return _workers;
        }
    }
}
