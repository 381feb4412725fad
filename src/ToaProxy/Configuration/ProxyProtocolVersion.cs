namespace ToaProxy.Configuration;

public enum ProxyProtocolVersion
{
    V2,
    V1,
}
