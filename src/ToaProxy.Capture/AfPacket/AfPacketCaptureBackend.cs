using System.ComponentModel;
using System.Runtime.InteropServices;
using ToaProxy.Capture.Bpf;
using ToaProxy.Capture.Linux;
using ToaProxy.Protocol;

namespace ToaProxy.Capture.AfPacket;

/// <summary>
/// Captures handshake packets with an AF_PACKET socket and a kernel BPF filter (see
/// <see cref="CaptureBpfProgram"/>), so bulk data never reaches userspace. Frames are bare IP packets
/// (<see cref="LinkType.RawIp"/>). One start per instance.
/// </summary>
/// <remarks>
/// The capture thread alternates a non-blocking receive pass (until EAGAIN) with poll() on the
/// socket and a wake eventfd. Every receive and the sink call that follows it happen under one gate,
/// so EAGAIN seen under the gate means the socket queue was empty at that instant and every packet
/// queued before was handed to the sink. <see cref="WaitForDrainAsync"/> uses that on the caller's
/// thread: it takes the gate and receives until EAGAIN itself, so an accepted connection normally
/// pays one recv(2) instead of waking the capture thread and waiting for a thread-pool continuation.
/// Only when the queue holds more than a short pass (a SYN flood) does the caller wait for the capture
/// thread's pass instead.
/// </remarks>
public sealed class AfPacketCaptureBackend : ICaptureBackend
{
    /// <summary>While the bound link is down, how often to check whether it was removed.</summary>
    private const int LinkDownCheckMilliseconds = 200;

    /// <summary>Frames received per hold of the receive gate, so a caller draining inline never waits long for it.</summary>
    private const int FramesPerPass = 64;

    private readonly AfPacketCaptureOptions _options;
    private readonly DrainBarrier _drainBarrier = new();

    // Guards every receive on the socket, the sink call for its frame and the frame buffer; see the remarks.
    private readonly Lock _receiveGate = new();
    private byte[]? _frame;
    private int _socketFd = -1;
    private bool _receiveClosed;
    private bool _linkDown;
    private int _receiveErrno;
    private readonly TaskCompletionSource _threadExited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private PacketSocket? _socket;
    private WakeSignal? _wakeSignal;
    private IFrameSink? _sink;
    private Thread? _thread;
    private volatile bool _isRunning;
    private volatile bool _stopRequested;
    private volatile Exception? _fault;
    private long _framesReceived;
    private long _readErrors;

    public AfPacketCaptureBackend(AfPacketCaptureOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    public string Name => "afpacket";

    public bool IsRunning => _isRunning;

    public Exception? Fault => _fault;

    public Task StartAsync(IFrameSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sink);
        cancellationToken.ThrowIfCancellationRequested();
        if (_thread is not null)
        {
            throw new InvalidOperationException("This capture was already started; create a new backend to capture again.");
        }

        var program = CaptureBpfProgram.Build(_options.Filter, _options.SnapLength);
        _socket = PacketSocket.Open(_options.InterfaceName, program, _options.ReceiveBufferBytes);
        _wakeSignal = new WakeSignal();
        _sink = sink;
        _frame = GC.AllocateArray<byte>(_options.SnapLength, pinned: true);
        _socketFd = _socket.Handle.Fd;
        _isRunning = true;
        _thread = new Thread(RunCaptureThread) { IsBackground = true, Name = $"afpacket {_options.InterfaceName}" };
        _thread.Start();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_thread is null)
        {
            return;
        }

        _stopRequested = true;
        _wakeSignal!.Signal();
        await _threadExited.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        _socket!.Dispose();
        _wakeSignal.Dispose();
    }

    public ValueTask WaitForDrainAsync(CancellationToken cancellationToken)
    {
        if (!_isRunning || TryDrainInline())
        {
            return ValueTask.CompletedTask;
        }

        var drained = _drainBarrier.Register();
        if (drained is null)
        {
            return ValueTask.CompletedTask;
        }

        _wakeSignal!.Signal();
        return new ValueTask(drained.WaitAsync(cancellationToken));
    }

    public CaptureStatistics ReadStatistics() => new(
        Interlocked.Read(ref _framesReceived),
        _socket?.ReadKernelDrops() ?? 0,
        Interlocked.Read(ref _readErrors));

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    private void RunCaptureThread()
    {
        // Held for the whole loop, so the raw fds below stay valid; they are closed only after this thread exits.
        bool socketReferenced = false;
        bool wakeReferenced = false;
        try
        {
            _socket!.Handle.DangerousAddRef(ref socketReferenced);
            _wakeSignal!.Handle.DangerousAddRef(ref wakeReferenced);
            RunCaptureLoop(_socket.Handle.Fd, _wakeSignal.Handle.Fd);
        }
        catch (Exception exception)
        {
            _fault = exception;
        }
        finally
        {
            _isRunning = false;
            lock (_receiveGate)
            {
                // No caller may receive on the descriptor once this thread's reference is released.
                _receiveClosed = true;
            }

            _drainBarrier.Close();
            if (socketReferenced)
            {
                _socket!.Handle.DangerousRelease();
            }

            if (wakeReferenced)
            {
                _wakeSignal!.Handle.DangerousRelease();
            }

            _threadExited.TrySetResult();
        }
    }

    private unsafe void RunCaptureLoop(int socketFd, int wakeFd)
    {
        PollFd* fds = stackalloc PollFd[2];
        fds[0] = new PollFd { Fd = socketFd, Events = LinuxLibC.PollIn };
        fds[1] = new PollFd { Fd = wakeFd, Events = LinuxLibC.PollIn };
        bool wakePending = true;

        while (!_stopRequested)
        {
            // Only after poll saw it readable: a wake-up arriving later keeps the fd readable for the next poll.
            if (wakePending)
            {
                _wakeSignal!.Reset();
            }

            long barrierSnapshot = _drainBarrier.Snapshot();
            bool linkDown;
            while (true)
            {
                ReceiveOutcome outcome;
                int errno;
                lock (_receiveGate)
                {
                    outcome = ReceiveFrames(FramesPerPass);
                    linkDown = _linkDown;
                    errno = _receiveErrno;
                }

                if (errno != 0)
                {
                    throw RuntimeError("receive failed", errno);
                }

                if (outcome == ReceiveOutcome.Drained || _stopRequested)
                {
                    break;
                }
            }

            _drainBarrier.ReleaseThrough(barrierSnapshot);
            if (linkDown && !BoundInterfaceExists())
            {
                throw RuntimeError("the interface was removed", LinuxLibC.ENoDev);
            }

            fds[0].ReturnedEvents = 0;
            fds[1].ReturnedEvents = 0;
            int ready = LinuxLibC.Poll(fds, 2, linkDown ? LinkDownCheckMilliseconds : -1);
            if (ready < 0 && Marshal.GetLastPInvokeError() is var pollErrno && pollErrno != LinuxLibC.EIntr)
            {
                throw RuntimeError("poll failed", pollErrno);
            }

            if (((fds[0].ReturnedEvents | fds[1].ReturnedEvents) & LinuxLibC.PollNval) != 0)
            {
                throw RuntimeError("poll reported a closed descriptor", LinuxLibC.EBadF);
            }

            wakePending = ready < 0 || (fds[1].ReturnedEvents & LinuxLibC.PollIn) != 0;
        }
    }

    /// <summary>
    /// The drain barrier on the caller's thread: true when a receive pass under the gate reached EAGAIN
    /// (or the capture has stopped), so every packet queued before the call has been handed to the sink.
    /// False when the queue holds more than one pass or receiving failed; the capture thread, woken for
    /// a failure, then deals with both.
    /// </summary>
    private bool TryDrainInline()
    {
        ReceiveOutcome outcome;
        lock (_receiveGate)
        {
            if (_receiveClosed)
            {
                return true;
            }

            outcome = ReceiveFrames(FramesPerPass);
        }

        if (outcome == ReceiveOutcome.Failed)
        {
            _wakeSignal!.Signal();
        }

        return outcome == ReceiveOutcome.Drained;
    }

    /// <summary>
    /// Receives up to <paramref name="maxFrames"/> frames and hands each to the sink; called under the
    /// gate. A receive error is left in <see cref="_receiveErrno"/> (ENETDOWN in <see cref="_linkDown"/>)
    /// for the capture thread, which stops or watches the link.
    /// </summary>
    private unsafe ReceiveOutcome ReceiveFrames(int maxFrames)
    {
        byte[] buffer = _frame!;
        fixed (byte* frame = buffer)
        {
            for (int received = 0; received < maxFrames;)
            {
                nint length = LinuxLibC.Recv(_socketFd, frame, (nuint)buffer.Length, LinuxLibC.MsgDontWait);
                if (length >= 0)
                {
                    _linkDown = false;
                    received++;
                    Interlocked.Increment(ref _framesReceived);
                    _sink!.OnFrame(new Span<byte>(frame, (int)length), LinkType.RawIp, mayModify: false);
                    continue;
                }

                int errno = Marshal.GetLastPInvokeError();
                if (errno == LinuxLibC.EAgain)
                {
                    return ReceiveOutcome.Drained;
                }

                if (errno == LinuxLibC.EIntr)
                {
                    continue;
                }

                Interlocked.Increment(ref _readErrors);
                if (errno == LinuxLibC.ENetDown)
                {
                    // Reported when the bound link goes down, both when it is only set down (the kernel
                    // resumes delivery when it comes back up) and when it is deleted: the capture thread
                    // tells them apart.
                    _linkDown = true;
                    continue;
                }

                _receiveErrno = errno;
                return ReceiveOutcome.Failed;
            }
        }

        return ReceiveOutcome.MoreQueued;
    }

    private bool BoundInterfaceExists() =>
        _socket!.InterfaceIndex == 0 || LinuxLibC.IfNameToIndex(_options.InterfaceName) == (uint)_socket.InterfaceIndex;

    private IOException RuntimeError(string what, int errno)
    {
        var os = new Win32Exception(errno);
        return new IOException($"AF_PACKET capture on interface '{_options.InterfaceName}' stopped: {what}: {os.Message} (errno {errno}).", os);
    }

    private enum ReceiveOutcome
    {
        /// <summary>EAGAIN: the queue was empty.</summary>
        Drained,

        /// <summary>The frame budget was spent with more possibly queued.</summary>
        MoreQueued,

        /// <summary>A receive error other than ENETDOWN; the errno is kept for the capture thread.</summary>
        Failed,
    }
}
