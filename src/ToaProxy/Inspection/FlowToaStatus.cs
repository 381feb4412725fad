namespace ToaProxy.Inspection;

/// <summary>What a captured connection tells about its real client, best outcome first: a flow with
/// a trusted TOA anywhere is <see cref="Toa"/> even if another packet of it was malformed.</summary>
public enum FlowToaStatus
{
    /// <summary>A well-formed TOA from a trusted source: the proxy would use it.</summary>
    Toa,
    /// <summary>A well-formed TOA, but the packet came from outside TrustedSources.</summary>
    Untrusted,
    /// <summary>An enabled kind with a length no layout has, invalid contents, or a broken option walk.</summary>
    Malformed,
    /// <summary>No TOA, but a TCP Fast Open cookie (kind 34, or kind 254 with magic F989), which is not TOA.</summary>
    FastOpenCookie,
    /// <summary>No TOA-kind option at all.</summary>
    NoOption,
}
