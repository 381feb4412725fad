namespace ToaProxy.Capture;

/// <summary>Counters a backend keeps about itself (not about TOA).</summary>
/// <param name="FramesReceived">Frames read from the kernel and handed to the sink (on lo counted once).</param>
/// <param name="KernelDrops">Frames the kernel dropped because the capture fell behind (PACKET_STATISTICS tp_drops, pcap ps_drop, NFQUEUE queue_dropped/user_dropped).</param>
/// <param name="ReadErrors">Receive errors survived by the capture loop.</param>
public readonly record struct CaptureStatistics(long FramesReceived, long KernelDrops, long ReadErrors);
