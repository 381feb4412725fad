using System.Net;
using ToaProxy.Configuration;
using ToaProxy.HttpMode;
using ToaProxy.Tests.HttpMode;

namespace ToaProxy.Tests.Configuration;

public sealed class HttpListenerCompilerTests
{
    private static (ProxySettings? Settings, List<string> Errors) Compile(HttpListenerOptions? http, string protocol = "http", List<string>? tlvs = null)
    {
        var options = new ToaProxyOptions
        {
            Listeners = [new ListenerOptions { Listen = "127.0.0.1:8080", Upstream = "127.0.0.1:8081", Protocol = protocol, Http = http, Tlvs = tlvs ?? [] }],
        };
        var errors = new List<string>();
        return (SettingsCompiler.Compile(options, errors), errors);
    }

    [Fact]
    public void Protocol_http_without_an_http_section_forwards_http1_without_forwarded_or_trust()
    {
        var (settings, errors) = Compile(null);

        Assert.Empty(errors);
        HttpListenerSettings http = Assert.Single(settings!.Listeners).Http!;
        Assert.False(http.Forwarded);
        Assert.False(http.UpstreamH2c);
        Assert.Empty(http.TrustForwardedHeadersFrom);
        Assert.Null(http.Certificate);
    }

    [Fact]
    public void A_proxy_protocol_listener_has_no_http_settings()
    {
        var (settings, errors) = Compile(null, "proxy-v2");

        Assert.Empty(errors);
        Assert.Null(Assert.Single(settings!.Listeners).Http);
    }

    public static TheoryData<HttpListenerOptions?, string, string> Invalid => new()
    {
        { new HttpListenerOptions { UpstreamProtocol = "h3" }, "http", "ToaProxy:Listeners:0:Http:UpstreamProtocol: \"h3\" is not an upstream protocol (use http1 or h2c)" },
        { new HttpListenerOptions { TrustForwardedHeadersFrom = ["10.0.0.0/33"] }, "http", "ToaProxy:Listeners:0:Http:TrustForwardedHeadersFrom:0: \"10.0.0.0/33\"" },
        { new HttpListenerOptions { Certificate = "/nonexistent/cert.pem" }, "http", "ToaProxy:Listeners:0:Http:Certificate: \"/nonexistent/cert.pem\" does not exist" },
        { new HttpListenerOptions { CertificateKey = "/tmp/key.pem" }, "http", "ToaProxy:Listeners:0:Http:Certificate: is missing, but CertificateKey or CertificatePassword is set" },
        { new HttpListenerOptions(), "proxy-v2", "ToaProxy:Listeners:0:Http: is set but the listener's Protocol is not http" },
        { null, "htttp", "ToaProxy:Listeners:0:Protocol: \"htttp\" is not a protocol (use proxy-v2, proxy-v1, http or transparent)" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void A_bad_http_setting_is_reported_with_its_key_and_value(HttpListenerOptions? http, string protocol, string expectedStart)
    {
        var (settings, errors) = Compile(http, protocol);

        Assert.Null(settings);
        Assert.StartsWith(expectedStart, Assert.Single(errors));
    }

    [Fact]
    public void A_certificate_file_that_is_not_a_certificate_is_reported()
    {
        string path = Path.Combine(Path.GetTempPath(), $"toaproxy-not-a-cert-{Guid.NewGuid():N}.pem");
        File.WriteAllText(path, "not a certificate");
        try
        {
            var (settings, errors) = Compile(new HttpListenerOptions { Certificate = path });

            Assert.Null(settings);
            Assert.StartsWith($"ToaProxy:Listeners:0:Http:Certificate: \"{path}\" cannot be loaded: ", Assert.Single(errors));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_pem_certificate_with_its_key_file_and_a_pkcs12_with_its_password_both_load()
    {
        using var generated = SelfSignedCertificate.Create();

        var (pem, pemErrors) = Compile(new HttpListenerOptions { Certificate = generated.CertificatePemPath, CertificateKey = generated.KeyPemPath });
        var (pkcs12, pkcs12Errors) = Compile(new HttpListenerOptions { Certificate = generated.Pkcs12Path, CertificatePassword = SelfSignedCertificate.Pkcs12Password });
        var (_, wrongPassword) = Compile(new HttpListenerOptions { Certificate = generated.Pkcs12Path, CertificatePassword = "wrong" });
        var (_, noKey) = Compile(new HttpListenerOptions { Certificate = generated.CertificatePemPath });

        Assert.Empty(pemErrors);
        Assert.Empty(pkcs12Errors);
        Assert.Equal(generated.Certificate.Thumbprint, Assert.Single(pem!.Listeners).Http!.Certificate!.Thumbprint);
        Assert.True(Assert.Single(pkcs12!.Listeners).Http!.Certificate!.HasPrivateKey);
        Assert.StartsWith($"ToaProxy:Listeners:0:Http:Certificate: \"{generated.Pkcs12Path}\" cannot be loaded: ", Assert.Single(wrongPassword));
        Assert.StartsWith($"ToaProxy:Listeners:0:Http:Certificate: \"{generated.CertificatePemPath}\" cannot be loaded: ", Assert.Single(noKey));
    }

    [Fact]
    public void Tlvs_on_an_http_listener_are_an_error()
    {
        var (_, errors) = Compile(null, tlvs: ["crc32c"]);

        Assert.Equal("ToaProxy:Listeners:0:Tlvs: an http listener sends no PROXY header, so no TLVs; remove them", Assert.Single(errors));
    }

    [Theory]
    [InlineData("203.0.113.7", 4711, "example.com", "for=\"203.0.113.7:4711\";host=example.com;proto=http")]
    [InlineData("2001:db8::1", 443, "example.com:8443", "for=\"[2001:db8::1]:443\";host=\"example.com:8443\";proto=http")]
    public void A_forwarded_element_quotes_nodes_with_ports_and_brackets_ipv6(string address, int port, string host, string expected) =>
        Assert.Equal(expected, ForwardedElement.Format(new IPEndPoint(IPAddress.Parse(address), port), host, "http"));

    [Fact]
    public void A_forwarded_element_without_a_client_has_no_for() =>
        Assert.Equal("host=h;proto=https", ForwardedElement.Format(null, "h", "https"));
}
