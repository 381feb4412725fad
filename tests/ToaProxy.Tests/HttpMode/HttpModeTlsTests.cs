using System.Net;
using ToaProxy.Capture.Emulation;
using ToaProxy.Testing;

namespace ToaProxy.Tests.HttpMode;

/// <summary>TLS termination in HTTP mode with a certificate the test generates.</summary>
public sealed class HttpModeTlsTests
{
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(30);

    [SkippableTheory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Tls_is_terminated_and_the_upstream_sees_https_and_the_emulated_client(int httpVersion)
    {
        Requires.Root();
        Requires.Command("iptables");
        using var certificate = SelfSignedCertificate.Create();
        EchoUpstream echo = EchoUpstream.Start();
        await using var stack = await HttpModeStack<EchoUpstream>.StartAsync(echo, echo.Port, ToaOptionWriters.Kind200V4(DerivedClient.V4), http: h =>
        {
            h["Certificate"] = certificate.CertificatePemPath;
            h["CertificateKey"] = certificate.KeyPemPath;
        });
        using var client = new ProxiedHttpClient(new Uri($"https://127.0.0.1:{stack.Port}/"), Step, certificate.Certificate);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/headers")
        {
            Version = new Version(httpVersion, httpVersion == 1 ? 1 : 0),
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };

        using HttpResponseMessage response = await client.Client.SendAsync(request);
        Dictionary<string, string> seen = EchoUpstream.ParseHeaders(await response.Content.ReadAsStringAsync());

        Assert.Equal(httpVersion, response.Version.Major);
        Assert.Equal("https", seen["X-Forwarded-Proto"]);
        Assert.Equal(DerivedClient.V4Address(Assert.Single(client.Connections).Port).ToString(), seen["X-Forwarded-For"]);
        Assert.Contains(";proto=https", seen["Forwarded"], StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
