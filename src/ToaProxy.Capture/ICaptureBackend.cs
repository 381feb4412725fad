namespace ToaProxy.Capture;

/// <summary>
/// A source of captured handshake packets (AF_PACKET, libpcap, NFQUEUE). Backends differ only in how
/// frames reach userspace; all of them hand every frame to the same <see cref="IFrameSink"/>.
/// </summary>
public interface ICaptureBackend : IAsyncDisposable
{
    /// <summary>"afpacket", "pcap" or "nfqueue".</summary>
    string Name { get; }

    /// <summary>True between a successful start and stop, and while no runtime fault has occurred.</summary>
    bool IsRunning { get; }

    /// <summary>The error that stopped the capture at runtime (interface removed, socket error), if any.</summary>
    Exception? Fault { get; }

    /// <summary>
    /// Opens the capture and starts delivering frames to <paramref name="sink"/> on a dedicated thread.
    /// Throws with a message naming the interface/queue and the OS error when it cannot open.
    /// </summary>
    Task StartAsync(IFrameSink sink, CancellationToken cancellationToken);

    Task StopAsync(CancellationToken cancellationToken);

    /// <summary>
    /// A barrier: completes once every packet that was queued to this backend (in the kernel socket
    /// buffer) when it was called has been handed to the sink. The kernel queues a connection's
    /// handshake ACK to packet sockets before accept() can return it, so after this barrier a flow
    /// record still without TOA truly has none. Completes at once when the backend is not running. A
    /// backend may drain on the caller's thread and return it completed, which is the common case the
    /// relay's hot path is built for (no timer is armed then).
    /// </summary>
    ValueTask WaitForDrainAsync(CancellationToken cancellationToken);

    CaptureStatistics ReadStatistics();
}
