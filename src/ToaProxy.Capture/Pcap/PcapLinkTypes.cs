using PacketDotNet;
using ToaProxy.Protocol;

namespace ToaProxy.Capture.Pcap;

/// <summary>Maps libpcap's DLT_ values (as SharpPcap reports them) to the link types the frame reader parses.</summary>
public static class PcapLinkTypes
{
    /// <summary>The matching <see cref="LinkType"/>, or null when frames of this link layer cannot be parsed.</summary>
    public static LinkType? ToLinkType(LinkLayers linkLayer) => linkLayer switch
    {
        LinkLayers.Ethernet => LinkType.Ethernet,
        LinkLayers.LinuxSll => LinkType.LinuxSll,
        LinkLayers.LinuxSll2 => LinkType.LinuxSll2,
        // DLT_RAW is 12 on Linux and 14 on some BSDs; LINKTYPE_RAW (101) is what files store.
        LinkLayers.Raw or LinkLayers.RawLegacy or (LinkLayers)14 => LinkType.RawIp,
        _ => null,
    };
}
