namespace ToaProxy.Protocol;

/// <summary>Why a frame did or did not yield a TCP segment.</summary>
public enum FrameParseStatus
{
    Ok,
    UnsupportedLinkType,
    /// <summary>Not IPv4/IPv6 (ARP, LLDP, ...).</summary>
    NotIp,
    /// <summary>An IP packet that is not TCP (or a TCP header behind an unparsed extension header).</summary>
    NotTcp,
    /// <summary>A non-first fragment, or a first fragment: fragments are not reassembled.</summary>
    Fragment,
    /// <summary>The frame ends before a header it announces.</summary>
    Truncated,
    /// <summary>A length field contradicts another or the frame (IHL &lt; 5, data offset &lt; 5, total length too small, ...).</summary>
    BadLength,
}
