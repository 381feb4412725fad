namespace ToaProxy.Configuration;

public enum CaptureBackendKind
{
    AfPacket,
    Pcap,
    Nfqueue,
    /// <summary>No capture: every connection is handled by its listener's WithoutToa policy.</summary>
    None,
}
