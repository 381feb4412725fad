using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ToaProxy.Capture.Iptables;
using ToaProxy.Protocol;

namespace ToaProxy.Capture.Nfqueue;

/// <summary>
/// Captures through NFQUEUE: the kernel holds each queued packet until this backend's verdict, which
/// is sent only after the sink has returned — so a connection's flow record exists before the kernel
/// lets its handshake complete. Packets reach the sink as <see cref="LinkType.RawIp"/>.
/// </summary>
public sealed class NfqueueCaptureBackend : ICaptureBackend, IQueuedPacketHandler
{
    private const int WaitMicroseconds = 100_000;
    private static readonly TimeSpan DrainQuietPeriod = TimeSpan.FromMilliseconds(20);

    private readonly NfqueueCaptureOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private NfqueueSocket? _queue;
    private IptablesRuleSet? _rules;
    private IFrameSink? _sink;
    private Thread? _thread;
    private TaskCompletionSource? _threadExited;
    private volatile bool _stopRequested;
    private volatile bool _running;
    private volatile Exception? _fault;
    private CaptureStatistics _lastStatistics;

    public NfqueueCaptureBackend(NfqueueCaptureOptions options, ILogger<NfqueueCaptureBackend>? logger = null)
    {
        if (options.ManageRules && options.RulePorts.Count == 0)
        {
            throw new ArgumentException("ManageRules needs at least one port in RulePorts.", nameof(options));
        }

        _options = options;
        _logger = logger ?? NullLogger<NfqueueCaptureBackend>.Instance;
    }

    public string Name => "nfqueue";

    public bool IsRunning => _running;

    public Exception? Fault => _fault;

    public Task StartAsync(IFrameSink sink, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            if (_thread is not null)
            {
                throw new InvalidOperationException($"NFQUEUE {_options.QueueNumber} capture is already started.");
            }

            var settings = new NfqueueSocketSettings(_options.MaxQueueLength, _options.SocketReceiveBufferBytes, _options.FailOpen);
            NfqueueSocket queue = NfqueueSocket.Bind(_options.QueueNumber, settings, _options.AllowRewrite);
            try
            {
                // Bound before the rules exist, so no managed rule ever queues to a queue nobody reads.
                if (_options.ManageRules)
                {
                    _rules = InstallRules();
                }
            }
            catch
            {
                queue.Dispose();
                throw;
            }

            _queue = queue;
            _sink = sink;
            _fault = null;
            _stopRequested = false;
            _threadExited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _thread = new Thread(Run) { IsBackground = true, Name = $"nfqueue-{_options.QueueNumber}" };
            _running = true;
            _thread.Start();
        }

        _logger.LogInformation("NFQUEUE capture bound queue {Queue} (rules managed: {ManageRules})", _options.QueueNumber, _options.ManageRules);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Task threadExited;
        lock (_lock)
        {
            if (_thread is null || _threadExited is null)
            {
                return;
            }

            threadExited = _threadExited.Task;
        }

        // Rules go first: once nothing new is queued, the thread drains what is queued, and only then
        // the socket closes — closing it with packets still queued would make the kernel drop them.
        Exception? ruleError = null;
        try
        {
            _rules?.RemoveAdded();
        }
        catch (AggregateException e)
        {
            ruleError = e;
        }

        _stopRequested = true;
        await threadExited.WaitAsync(cancellationToken).ConfigureAwait(false);

        lock (_lock)
        {
            _lastStatistics = ReadStatistics();
            try
            {
                if (_fault is null)
                {
                    _queue?.Unbind();
                }
            }
            catch (IOException e)
            {
                _logger.LogWarning(e, "NFQUEUE {Queue}: unbind failed", _options.QueueNumber);
            }

            _queue?.Dispose();
            _queue = null;
            _rules = null;
            _thread = null;
            _threadExited = null;
            _running = false;
        }

        if (ruleError is not null)
        {
            throw ruleError;
        }
    }

    /// <summary>
    /// Completes at once: the kernel holds every queued packet until its verdict, and the verdict is
    /// sent only after the sink returned, so any packet the kernel has let through to TCP (such as the
    /// ACK that made a connection acceptable) has already been handed to the sink.
    /// </summary>
    public ValueTask WaitForDrainAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>
    /// Frames: packets handed to the sink. Kernel drops: the queue's queue_dropped + user_dropped
    /// (packets lost to a full queue or socket buffer when not failing open), read while bound.
    /// Read errors: ENOBUFS reports, verdicts the kernel refused, and sink exceptions.
    /// </summary>
    public CaptureStatistics ReadStatistics()
    {
        NfqueueSocket? queue = _queue;
        if (queue is null)
        {
            return _lastStatistics;
        }

        return new CaptureStatistics(
            queue.PacketsReceived,
            NfqueueKernelCounters.Read(_options.QueueNumber).Drops,
            queue.Overruns + queue.VerdictErrors + queue.HandlerErrors);
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    int IQueuedPacketHandler.OnQueuedPacket(Span<byte> buffer, int length, bool mayRewrite) =>
        _sink!.OnFrame(buffer[..length], LinkType.RawIp, mayRewrite) && mayRewrite ? length : -1;

    private IptablesRuleSet InstallRules()
    {
        // A previous run killed without cleanup (SIGKILL, OOM) left its rules behind; they would queue
        // packets twice, so they go before ours are added.
        int stale = IptablesRuleSet.RemoveAllTagged(_options.RuleTag);
        if (stale > 0)
        {
            _logger.LogWarning("NFQUEUE {Queue}: removed {Stale} stale rules tagged toaproxy:{Tag} left by an earlier run", _options.QueueNumber, stale, _options.RuleTag);
        }

        var rules = new IptablesRuleSet(_options.RuleTag);
        try
        {
            foreach (ushort port in _options.RulePorts)
            {
                rules.Add(NfqueueRule.ForCapture(IptablesFamily.IPv4, port, _options.QueueNumber, _options.QueueBypass));
                rules.Add(NfqueueRule.ForCapture(IptablesFamily.IPv6, port, _options.QueueNumber, _options.QueueBypass));
            }

            return rules;
        }
        catch
        {
            rules.Dispose();
            throw;
        }
    }

    private void Run()
    {
        NfqueueSocket queue = _queue!;
        try
        {
            while (!_stopRequested)
            {
                queue.ReceiveAndVerdict(this, WaitMicroseconds);
            }

            queue.Drain(this, DrainQuietPeriod);
        }
        catch (Exception e)
        {
            _fault = e;
            _running = false;
            _logger.LogError(e, "NFQUEUE {Queue} capture stopped by a socket error", _options.QueueNumber);
            ReleaseAfterFault(queue);
        }
        finally
        {
            _threadExited!.TrySetResult();
        }
    }

    /// <summary>
    /// A queue nobody reads holds its packets until they time out or overflow, stalling every new
    /// connection to the ports: remove our rules and close the socket, so that packets pass unseen
    /// (an operator's own rules pass them too if they have --queue-bypass).
    /// </summary>
    private void ReleaseAfterFault(NfqueueSocket queue)
    {
        try
        {
            _rules?.RemoveAdded();
        }
        catch (AggregateException e)
        {
            _logger.LogError(e, "NFQUEUE {Queue}: removing the capture rules after the fault failed", _options.QueueNumber);
        }

        queue.Dispose();
    }
}
