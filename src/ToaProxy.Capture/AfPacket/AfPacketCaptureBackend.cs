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
/// Packets arrive in a TPACKET_V2 ring (<see cref="PacketRing"/>): the kernel marks a packet's slot
/// ready before the packet goes on to the IP stack, so by the time accept() returns a connection its
/// SYN is in the ring. Reading the ring and the sink call for each packet happen under one gate; a
/// pass that finds the next slot empty under the gate proves every packet written before it was
/// handed to the sink. The capture thread alternates such passes with poll() on the socket and a
/// wake eventfd. <see cref="WaitForDrainAsync"/> makes the same pass on the caller's thread, which
/// costs no system call: an accepted connection normally reads a slot status instead of waking the
/// capture thread. Only when the ring holds more than a short pass (a SYN flood) does the caller wait
/// for the capture thread's pass instead. The socket itself is read only for the error poll()
/// reports (a link going down).
/// </remarks>
public sealed class AfPacketCaptureBackend : ICaptureBackend
{
    /// <summary>While the bound link is down, how often to check whether it was removed.</summary>
    private const int LinkDownCheckMilliseconds = 200;

    /// <summary>Frames received per hold of the receive gate, so a caller draining inline never waits long for it.</summary>
    private const int FramesPerPass = 64;

    /// <summary>How long a pass waits for a slot the kernel is still writing (microseconds in practice).</summary>
    private const int FillingSpinLimit = 100_000;

    private readonly AfPacketCaptureOptions _options;
    private readonly DrainBarrier _drainBarrier = new();

    // Guards the ring, the sink call for each packet and the link state; see the remarks.
    private readonly Lock _receiveGate = new();
    private bool _receiveClosed;
    private bool _linkDown;
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
        _socket = PacketSocket.Open(_options.InterfaceName, program, _options.RingFrames, _options.SnapLength);
        _wakeSignal = new WakeSignal();
        _sink = sink;
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
                // No caller may read the ring once this thread has gone: stopping unmaps it.
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
        bool socketError = false;

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
                int errno = 0;
                lock (_receiveGate)
                {
                    if (socketError)
                    {
                        errno = CollectSocketError(socketFd);
                        socketError = false;
                    }

                    outcome = ReceiveFrames(FramesPerPass);
                    linkDown = _linkDown;
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

            socketError = (fds[0].ReturnedEvents & LinuxLibC.PollErr) != 0;
            wakePending = ready < 0 || (fds[1].ReturnedEvents & LinuxLibC.PollIn) != 0;
        }
    }

    /// <summary>
    /// The drain barrier on the caller's thread: true when a pass under the gate found the ring empty
    /// (or the capture has stopped), so every packet written before the call has been handed to the
    /// sink. False when the ring holds more than one pass; the capture thread then deals with it.
    /// </summary>
    private bool TryDrainInline()
    {
        lock (_receiveGate)
        {
            return _receiveClosed || ReceiveFrames(FramesPerPass) == ReceiveOutcome.Drained;
        }
    }

    /// <summary>Hands up to <paramref name="maxFrames"/> packets from the ring to the sink; called under the gate.</summary>
    private ReceiveOutcome ReceiveFrames(int maxFrames)
    {
        PacketRing ring = _socket!.Ring;
        int spins = 0;
        for (int received = 0; received < maxFrames;)
        {
            switch (ring.Peek(out Span<byte> packet))
            {
                case RingSlot.Empty:
                    return ReceiveOutcome.Drained;
                case RingSlot.Filling:
                    if (++spins > FillingSpinLimit)
                    {
                        return ReceiveOutcome.MoreQueued;
                    }

                    Thread.SpinWait(20);
                    continue;
            }

            _linkDown = false;
            received++;
            Interlocked.Increment(ref _framesReceived);
            try
            {
                _sink!.OnFrame(packet, LinkType.RawIp, mayModify: false);
            }
            finally
            {
                ring.Release();
            }
        }

        return ReceiveOutcome.MoreQueued;
    }

    /// <summary>
    /// Reads the socket error poll() reported, with a non-blocking recv(2) (packets go to the ring, so
    /// the socket queue is empty and only an error is returned); called by the capture thread under the
    /// gate. ENETDOWN marks the link down for the capture thread to watch and returns 0; another error
    /// is returned, and stops the capture.
    /// </summary>
    private unsafe int CollectSocketError(int socketFd)
    {
        byte discard;
        for (int attempt = 0; attempt < 4; attempt++)
        {
            if (LinuxLibC.Recv(socketFd, &discard, 1, LinuxLibC.MsgDontWait) >= 0)
            {
                continue;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno == LinuxLibC.EAgain)
            {
                return 0;
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
                return 0;
            }

            return errno;
        }

        return 0;
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
        /// <summary>The ring was empty.</summary>
        Drained,

        /// <summary>The frame budget was spent with more possibly waiting.</summary>
        MoreQueued,
    }
}
