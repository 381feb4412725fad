namespace ToaProxy.Configuration;

/// <summary>A listener's Protocol as written in the config.</summary>
public static class ProxyProtocolName
{
    public static string Format(ListenerSettings listener) => listener.Http is not null ? "http" : listener.Protocol switch
    {
        ProxyProtocolVersion.V2 => "proxy-v2",
        ProxyProtocolVersion.V1 => "proxy-v1",
        _ => "transparent",
    };
}
