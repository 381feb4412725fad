using System.Security.Cryptography.X509Certificates;
using ToaProxy.Capture;

namespace ToaProxy.Configuration;

/// <summary>The validated HTTP-mode settings of a listener with Protocol http.</summary>
public sealed record HttpListenerSettings(
    bool Forwarded,
    IReadOnlyList<CidrRange> TrustForwardedHeadersFrom,
    bool UpstreamH2c,
    X509Certificate2? Certificate);
