namespace ToaProxy.Configuration;

/// <summary>The "Http" section of a listener with Protocol http.</summary>
public sealed class HttpListenerOptions
{
    /// <summary>Also send an RFC 7239 Forwarded header (X-Forwarded-For/-Proto/-Host are always sent).</summary>
    public bool? Forwarded { get; set; }

    /// <summary>CIDR ranges of TCP peers whose own X-Forwarded-*/Forwarded headers are kept and appended to; every other peer's are removed.</summary>
    public List<string> TrustForwardedHeadersFrom { get; set; } = [];

    /// <summary>http1 (default) or h2c (HTTP/2 over cleartext, prior knowledge) to the upstream.</summary>
    public string? UpstreamProtocol { get; set; }

    /// <summary>TLS termination: a PEM or PKCS#12 (.pfx/.p12) certificate file. Off when unset.</summary>
    public string? Certificate { get; set; }

    /// <summary>PEM private key file for a PEM Certificate (omit when the key is in the certificate file).</summary>
    public string? CertificateKey { get; set; }

    /// <summary>Password of a PKCS#12 certificate or an encrypted PEM key.</summary>
    public string? CertificatePassword { get; set; }
}
