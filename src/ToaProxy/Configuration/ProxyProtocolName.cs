namespace ToaProxy.Configuration;

/// <summary>A listener's Protocol as written in the config.</summary>
public static class ProxyProtocolName
{
    public static string Format(ProxyProtocolVersion protocol) => protocol switch
    {
        ProxyProtocolVersion.V2 => "proxy-v2",
        ProxyProtocolVersion.V1 => "proxy-v1",
        _ => "transparent",
    };
}
