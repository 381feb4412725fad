using ToaProxy.Capture.AfPacket;
using ToaProxy.Capture.Pcap;

namespace ToaProxy.Capture.Tests.Support;

/// <summary>Creates either live backend by name, for tests that must hold for both.</summary>
public static class TestCaptureBackends
{
    public const string AfPacket = "afpacket";
    public const string Pcap = "pcap";

    public static ICaptureBackend Create(string kind, string interfaceName, params ushort[] ports) => kind switch
    {
        AfPacket => new AfPacketCaptureBackend(new AfPacketCaptureOptions(interfaceName, new CaptureFilter(ports))),
        Pcap => new PcapCaptureBackend(new PcapCaptureOptions(interfaceName, new CaptureFilter(ports))),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "afpacket or pcap"),
    };
}
