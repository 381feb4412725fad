namespace ToaProxy.Capture.AfPacket;

/// <summary>Configuration of an <see cref="AfPacketCaptureBackend"/>.</summary>
/// <param name="InterfaceName">The device to capture on, or "any" for all of them.</param>
/// <param name="Filter">The ports whose handshake packets are captured.</param>
public sealed record AfPacketCaptureOptions(string InterfaceName, CaptureFilter Filter)
{
    /// <summary>"any": bind with ifindex 0.</summary>
    public const string AnyInterface = "any";

    /// <summary>Bytes kept of each packet: IPv4 + TCP headers with options are at most 120; payload length comes from the IP header.</summary>
    public int SnapLength { get; init; } = 256;

    /// <summary>Kernel receive buffer (SO_RCVBUFFORCE, so it may exceed net.core.rmem_max): room for a SYN burst while the thread is busy.</summary>
    public int ReceiveBufferBytes { get; init; } = 16 << 20;
}
