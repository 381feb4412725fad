using System.ComponentModel;
using System.Runtime.InteropServices;
using SharpPcap;
using SharpPcap.LibPcap;
using ToaProxy.Capture.Linux;
using ToaProxy.Protocol;

namespace ToaProxy.Capture.Pcap;

/// <summary>
/// Captures handshake packets through libpcap (SharpPcap) in immediate mode with the kernel filter
/// from <see cref="CapturePcapFilter"/>. Frames keep the device's link header (Ethernet on lo and
/// Ethernet devices, Linux cooked on "any"). One start per instance.
/// </summary>
/// <remarks>
/// The drain barrier works as in the AF_PACKET backend: the handle is non-blocking, the capture thread
/// reads with pcap_next_ex until it returns 0 (libpcap's ring holds no packet at that instant, and
/// every packet before it went to the sink), releases the waiters registered before that pass began,
/// then polls libpcap's selectable fd together with a wake eventfd.
/// </remarks>
public sealed class PcapCaptureBackend : ICaptureBackend
{
    /// <summary>
    /// poll() wakes at least this often so that pcap_next_ex runs and libpcap can notice a link that
    /// went down and was then removed, which raises no further event on its fd.
    /// </summary>
    private const int IdleCheckMilliseconds = 1000;

    private readonly PcapCaptureOptions _options;
    private readonly DrainBarrier _drainBarrier = new();
    private readonly TaskCompletionSource _threadExited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _deviceGate = new();
    private LibPcapLiveDevice? _device;
    private LinkType _linkType;
    private WakeSignal? _wakeSignal;
    private IFrameSink? _sink;
    private Thread? _thread;
    private volatile bool _isRunning;
    private volatile bool _stopRequested;
    private volatile Exception? _fault;
    private long _framesReceived;
    private long _readErrors;
    private long _kernelDrops;

    public PcapCaptureBackend(PcapCaptureOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    public string Name => "pcap";

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

        _device = OpenDevice(out _linkType);
        _wakeSignal = new WakeSignal();
        _sink = sink;
        _isRunning = true;
        _thread = new Thread(RunCaptureThread) { IsBackground = true, Name = $"pcap {_options.InterfaceName}" };
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
        lock (_deviceGate)
        {
            if (_device is { Opened: true } device)
            {
                ReadKernelDrops(device);
                device.Close();
            }
        }

        _wakeSignal.Dispose();
    }

    public ValueTask WaitForDrainAsync(CancellationToken cancellationToken)
    {
        if (!_isRunning)
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

    public CaptureStatistics ReadStatistics()
    {
        lock (_deviceGate)
        {
            if (_device is { Opened: true } device)
            {
                ReadKernelDrops(device);
            }

            return new CaptureStatistics(Interlocked.Read(ref _framesReceived), _kernelDrops, Interlocked.Read(ref _readErrors));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _device?.Dispose();
    }

    private LibPcapLiveDevice OpenDevice(out LinkType linkType)
    {
        string name = _options.InterfaceName;
        var device = LibPcapLiveDeviceList.New().FirstOrDefault(d => d.Name == name)
            ?? throw new IOException($"libpcap capture: no device '{name}' (pcap_findalldevs does not list it).");
        try
        {
            // MaxResponsiveness = immediate mode: otherwise packets wait for the read timeout.
            device.Open(new DeviceConfiguration
            {
                Mode = DeviceModes.MaxResponsiveness,
                Snaplen = _options.SnapLength,
                BufferSize = _options.KernelBufferBytes,
            });
            linkType = PcapLinkTypes.ToLinkType(device.LinkType)
                ?? throw new IOException($"libpcap capture on '{name}': link type {device.LinkType} is not supported.");
            device.Filter = CapturePcapFilter.Build(_options.Filter);

            // Outgoing packets never carry TOA, and on lo each packet is also seen as outgoing.
            if (LibPcap.SetDirection(device.Handle, LibPcap.DirectionIn) != 0)
            {
                throw new IOException($"libpcap capture on '{name}': pcap_setdirection(PCAP_D_IN) failed: {device.LastError}");
            }

            device.NonBlockingMode = true;
            return device;
        }
        catch (PcapException exception)
        {
            device.Dispose();
            throw new IOException($"libpcap capture on '{name}' cannot open: {exception.Message}", exception);
        }
        catch
        {
            device.Dispose();
            throw;
        }
    }

    private void RunCaptureThread()
    {
        bool wakeReferenced = false;
        try
        {
            _wakeSignal!.Handle.DangerousAddRef(ref wakeReferenced);
            RunCaptureLoop(_device!.Handle, _wakeSignal.Handle.Fd);
        }
        catch (Exception exception)
        {
            _fault = exception;
        }
        finally
        {
            _isRunning = false;
            _drainBarrier.Close();
            if (wakeReferenced)
            {
                _wakeSignal!.Handle.DangerousRelease();
            }

            _threadExited.TrySetResult();
        }
    }

    private unsafe void RunCaptureLoop(PcapHandle pcap, int wakeFd)
    {
        var sink = _sink!;
        var linkType = _linkType;
        int pcapFd = LibPcap.GetSelectableFd(pcap);
        if (pcapFd < 0)
        {
            throw new IOException($"libpcap capture on '{_options.InterfaceName}': the device has no selectable fd.");
        }

        PollFd* fds = stackalloc PollFd[2];
        fds[0] = new PollFd { Fd = pcapFd, Events = LinuxLibC.PollIn };
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
            while (!_stopRequested)
            {
                int result = LibPcap.NextEx(pcap, out byte* header, out byte* data);
                if (result == LibPcap.PacketRead)
                {
                    int captured = *(int*)(header + LibPcap.CaptureLengthOffset);
                    Interlocked.Increment(ref _framesReceived);
                    sink.OnFrame(new Span<byte>(data, captured), linkType, mayModify: false);
                    continue;
                }

                if (result == LibPcap.NoPacketAvailable)
                {
                    break;
                }

                // PCAP_ERROR: libpcap's message says why (e.g. "The interface disappeared").
                Interlocked.Increment(ref _readErrors);
                throw new IOException($"libpcap capture on '{_options.InterfaceName}' stopped: {_device!.LastError}");
            }

            _drainBarrier.ReleaseThrough(barrierSnapshot);
            fds[0].ReturnedEvents = 0;
            fds[1].ReturnedEvents = 0;
            int ready = LinuxLibC.Poll(fds, 2, IdleCheckMilliseconds);
            if (ready < 0 && Marshal.GetLastPInvokeError() is var errno && errno != LinuxLibC.EIntr)
            {
                var os = new Win32Exception(errno);
                throw new IOException($"libpcap capture on '{_options.InterfaceName}' stopped: poll failed: {os.Message}", os);
            }

            wakePending = ready < 0 || (fds[1].ReturnedEvents & LinuxLibC.PollIn) != 0;
        }
    }

    private void ReadKernelDrops(LibPcapLiveDevice device)
    {
        // pcap_stats on Linux already accumulates PACKET_STATISTICS, which resets on each read.
        if (device.Statistics is { } statistics)
        {
            _kernelDrops = statistics.DroppedPackets;
        }
    }
}
