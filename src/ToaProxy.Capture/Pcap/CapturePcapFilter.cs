using System.Text;

namespace ToaProxy.Capture.Pcap;

/// <summary>
/// <see cref="CaptureFilter"/> in pcap filter syntax, the same selection as the AF_PACKET program
/// (<see cref="Bpf.CaptureBpfProgram"/>). <c>tcp[...]</c> only reaches IPv4 TCP, so the IPv6 half reads
/// the TCP header at its fixed offset 40 (extension headers are not walked, as in the AF_PACKET
/// program). Direction is not part of the expression: with libpcap 1.10.3 on lo (DLT_EN10MB)
/// <c>inbound</c> also lost the receive-side copy of the SYN, so the backend sets PCAP_D_IN instead.
/// </summary>
public static class CapturePcapFilter
{
    public static string Build(CaptureFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        string ipv4Ports = PortClause(filter, port => $"tcp dst port {port}");
        string ipv6Ports = PortClause(filter, port => $"ip6[42:2] == {port}");

        // "ip[6:2] & 0x3fff == 0": not a fragment (more-fragments flag or a fragment offset).
        string ipv4 = $"(ip and ip[9] == 6 and ip[6:2] & 0x3fff == 0{ipv4Ports} and " +
            "((tcp[13] & 0x12) == 0x02 or ((tcp[12] & 0xf0) != 0x50 and (tcp[12] & 0xf0) != 0x80)))";
        string ipv6 = $"(ip6 and ip6[6] == 6{ipv6Ports} and " +
            "((ip6[53] & 0x12) == 0x02 or ((ip6[52] & 0xf0) != 0x50 and (ip6[52] & 0xf0) != 0x80)))";
        return $"{ipv4} or {ipv6}";
    }

    private static string PortClause(CaptureFilter filter, Func<ushort, string> match)
    {
        if (filter.Ports.Count == 0)
        {
            return string.Empty;
        }

        var clause = new StringBuilder(" and (");
        for (int i = 0; i < filter.Ports.Count; i++)
        {
            clause.Append(i == 0 ? string.Empty : " or ").Append(match(filter.Ports[i]));
        }

        return clause.Append(')').ToString();
    }
}
