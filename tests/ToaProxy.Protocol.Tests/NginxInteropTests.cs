using ToaProxy.Testing;
using static ToaProxy.Protocol.Tests.ProxyInteropAssertions;

namespace ToaProxy.Protocol.Tests;

/// <summary>Our headers against a real nginx 1.22 ("listen ... proxy_protocol"). Root, nginx on PATH.</summary>
public class NginxInteropTests
{
    [SkippableFact]
    public void V2_IPv4_header_is_accepted_and_logged()
    {
        Requires.Root();
        Requires.Command("nginx");
        using NginxBackend nginx = NginxBackend.Start();
        ProxyHeader header = ProxyHeader.Tcp(Client4, UniqueClientPort(), Server4, 443);
        AssertLogged(nginx, nginx.IPv4EndPoint, V2(header, ProxyV2TlvSet.None), header);
    }

    [SkippableFact]
    public void V2_IPv6_header_is_accepted_and_logged()
    {
        Requires.Root();
        Requires.Command("nginx");
        using NginxBackend nginx = NginxBackend.Start();
        ProxyHeader header = ProxyHeader.Tcp(Client6, UniqueClientPort(), Server6, 8443);
        AssertLogged(nginx, nginx.IPv6EndPoint, V2(header, ProxyV2TlvSet.None), header);
    }

    [SkippableFact]
    public void V2_NAT64_header_with_an_IPv4_destination_is_accepted_and_logged()
    {
        Requires.Root();
        Requires.Command("nginx");
        using NginxBackend nginx = NginxBackend.Start();
        ProxyHeader header = ProxyHeader.Tcp(Client6, UniqueClientPort(), Server4, 443);
        AssertLogged(nginx, nginx.IPv4EndPoint, V2(header, ProxyV2TlvSet.None), header);
    }

    [SkippableFact]
    public void V2_header_with_TLVs_nginx_does_not_know_is_accepted()
    {
        Requires.Root();
        Requires.Command("nginx");
        using NginxBackend nginx = NginxBackend.Start();
        ProxyHeader header = ProxyHeader.Tcp(Client4, UniqueClientPort(), Server4, 443);
        ProxyV2CustomTlv[] custom = [new(0xEA, "vpce-0123456789abcdef0"u8.ToArray())];
        var tlvs = new ProxyV2TlvSet { Crc32C = true, UniqueId = "conn-1"u8, Authority = "example.com"u8, Alpn = "http/1.1"u8, Custom = custom, NoopLength = 5 };
        AssertLogged(nginx, nginx.IPv4EndPoint, V2(header, tlvs), header);
    }

    [SkippableFact]
    public void V1_TCP4_and_promoted_TCP6_lines_are_accepted_and_logged()
    {
        Requires.Root();
        Requires.Command("nginx");
        using NginxBackend nginx = NginxBackend.Start();
        ProxyHeader v4 = ProxyHeader.Tcp(Client4, UniqueClientPort(), Server4, 443);
        AssertLogged(nginx, nginx.IPv4EndPoint, V1(v4), v4);
        ProxyHeader mixed = ProxyHeader.Tcp(Client6, UniqueClientPort(), Server4, 443);
        AssertLogged(nginx, nginx.IPv6EndPoint, V1(mixed), mixed);
    }
}
