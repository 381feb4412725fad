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

    /// <summary>
    /// Slots of the receive ring (about 336 bytes each at the default snap length, 5.5 MB for the
    /// default): room for a SYN burst while the capture is busy; packets beyond it are counted as kernel drops.
    /// </summary>
    public int RingFrames { get; init; } = 16384;
}
