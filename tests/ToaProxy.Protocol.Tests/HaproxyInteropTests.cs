using System.Net;
using ToaProxy.Testing;
using static ToaProxy.Protocol.Tests.ProxyInteropAssertions;

namespace ToaProxy.Protocol.Tests;

/// <summary>Our headers against a real HAProxy 2.6 ("bind ... accept-proxy"), which also checks
/// CRC32C and the UNIQUE_ID/AUTHORITY lengths. Root, haproxy on PATH.</summary>
public class HaproxyInteropTests
{
    [SkippableFact]
    public void V2_IPv4_header_is_accepted_and_logged()
    {
        Requires.Root();
        Requires.Command("haproxy");
        using HaproxyBackend haproxy = HaproxyBackend.Start();
        ProxyHeader header = ProxyHeader.Tcp(Client4, UniqueClientPort(), Server4, 443);
        AssertLogged(haproxy, haproxy.IPv4EndPoint, V2(header, ProxyV2TlvSet.None), header);
    }

    [SkippableFact]
    public void V2_IPv6_header_is_accepted_and_logged()
    {
        Requires.Root();
        Requires.Command("haproxy");
        using HaproxyBackend haproxy = HaproxyBackend.Start();
        ProxyHeader header = ProxyHeader.Tcp(Client6, UniqueClientPort(), Server6, 8443);
        AssertLogged(haproxy, haproxy.IPv6EndPoint, V2(header, ProxyV2TlvSet.None), header);
    }

    [SkippableFact]
    public void V2_NAT64_header_with_an_IPv4_destination_is_accepted_and_logged()
    {
        Requires.Root();
        Requires.Command("haproxy");
        using HaproxyBackend haproxy = HaproxyBackend.Start();
        ProxyHeader header = ProxyHeader.Tcp(Client6, UniqueClientPort(), Server4, 443);
        AssertLogged(haproxy, haproxy.IPv4EndPoint, V2(header, ProxyV2TlvSet.None), header);
    }

    [SkippableFact]
    public void V2_header_with_CRC32C_UNIQUE_ID_and_AUTHORITY_is_verified_and_logged()
    {
        Requires.Root();
        Requires.Command("haproxy");
        using HaproxyBackend haproxy = HaproxyBackend.Start();
        string uniqueId = new('u', ProxyV2Format.UniqueIdMaxLength);
        ProxyV2CustomTlv[] custom = [new(0xEA, "vpce-0123456789abcdef0"u8.ToArray())];
        foreach (ProxyHeader header in new[]
        {
            ProxyHeader.Tcp(Client4, UniqueClientPort(), Server4, 443),
            ProxyHeader.Tcp(Client6, UniqueClientPort(), Server4, 443),
        })
        {
            var tlvs = new ProxyV2TlvSet
            {
                Crc32C = true,
                UniqueId = System.Text.Encoding.ASCII.GetBytes(uniqueId),
                Authority = "example.com"u8,
                Custom = custom,
                NoopLength = 3,
            };
            BackendLogRecord record = AssertLogged(haproxy, haproxy.IPv4EndPoint, V2(header, tlvs), header);
            Assert.Equal(uniqueId, record.Field("uid"));
            Assert.Equal("example.com", record.Field("authority"));
        }
    }

    [SkippableFact]
    public void V2_header_with_a_wrong_CRC32C_is_refused()
    {
        Requires.Root();
        Requires.Command("haproxy");
        using HaproxyBackend haproxy = HaproxyBackend.Start();
        ushort clientPort = UniqueClientPort();
        byte[] header = V2(ProxyHeader.Tcp(Client4, clientPort, Server4, 443), new ProxyV2TlvSet { Crc32C = true });
        header[^1] ^= 0x5A; // inside the CRC value, the last TLV
        AssertRejected(haproxy, haproxy.IPv4EndPoint, header, clientPort);
    }

    [SkippableFact]
    public void LOCAL_makes_HAProxy_use_the_socket_addresses()
    {
        Requires.Root();
        Requires.Command("haproxy");
        using HaproxyBackend haproxy = HaproxyBackend.Start();
        string response = RawHttpExchange.Get(haproxy.IPv4EndPoint, V2(ProxyHeader.Local, ProxyV2TlvSet.None), ExchangeTimeout);
        Assert.StartsWith("HTTP/1.1 200", response);
        BackendLogRecord? record = haproxy.WaitForRecord(r => r.Server?.Port == haproxy.Port, ExchangeTimeout);
        Assert.True(record is not null, haproxy.Describe());
        Assert.Equal(IPAddress.Loopback, record.Client!.Address);
    }

    [SkippableFact]
    public void V1_TCP4_and_promoted_TCP6_lines_are_accepted_and_logged()
    {
        Requires.Root();
        Requires.Command("haproxy");
        using HaproxyBackend haproxy = HaproxyBackend.Start();
        ProxyHeader v4 = ProxyHeader.Tcp(Client4, UniqueClientPort(), Server4, 443);
        AssertLogged(haproxy, haproxy.IPv4EndPoint, V1(v4), v4);
        ProxyHeader mixed = ProxyHeader.Tcp(Client6, UniqueClientPort(), Server4, 443);
        AssertLogged(haproxy, haproxy.IPv6EndPoint, V1(mixed), mixed);
    }

    [SkippableFact]
    public void Tcp_mode_frontend_accepts_and_logs_a_V2_header()
    {
        Requires.Root();
        Requires.Command("haproxy");
        using HaproxyBackend haproxy = HaproxyBackend.Start(HaproxyMode.Tcp);
        ProxyHeader header = ProxyHeader.Tcp(Client6, UniqueClientPort(), Server6, 443);
        BackendLogRecord record = AssertLogged(haproxy, haproxy.IPv6EndPoint, V2(header, new ProxyV2TlvSet { Crc32C = true, UniqueId = "tcp-1"u8 }), header);
        Assert.Equal("tcp-1", record.Field("uid"));
    }
}
