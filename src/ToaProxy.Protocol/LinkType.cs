namespace ToaProxy.Protocol;

/// <summary>The framing of a captured packet; values are the pcap LINKTYPE_ numbers.</summary>
public enum LinkType
{
    Ethernet = 1,
    /// <summary>A bare IPv4 or IPv6 packet (NFQUEUE payloads, pcap LINKTYPE_RAW).</summary>
    RawIp = 101,
    /// <summary>Linux cooked capture v1 (libpcap on "any", older versions).</summary>
    LinuxSll = 113,
    /// <summary>Linux cooked capture v2 (libpcap ≥ 1.10 on "any").</summary>
    LinuxSll2 = 276,
}
