namespace ToaProxy.Capture.Pcap;

/// <summary>Configuration of a <see cref="PcapCaptureBackend"/>.</summary>
/// <param name="InterfaceName">A libpcap device name, e.g. "eth0", "lo" or "any".</param>
/// <param name="Filter">The ports whose handshake packets are captured.</param>
public sealed record PcapCaptureOptions(string InterfaceName, CaptureFilter Filter)
{
    /// <summary>Bytes kept of each packet (link header + IP + TCP headers); payload length comes from the IP header.</summary>
    public int SnapLength { get; init; } = 256;

    /// <summary>libpcap's kernel ring size (pcap_set_buffer_size).</summary>
    public int KernelBufferBytes { get; init; } = 16 << 20;
}
