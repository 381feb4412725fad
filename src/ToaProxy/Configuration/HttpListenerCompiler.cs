using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ToaProxy.Capture;

namespace ToaProxy.Configuration;

/// <summary>Validates a listener's "Http" section, with errors naming the key and value at fault.</summary>
public static class HttpListenerCompiler
{
    public static HttpListenerSettings? Compile(HttpListenerOptions? o, bool isHttpListener, string path, List<string> errors)
    {
        if (!isHttpListener)
        {
            if (o is not null)
            {
                errors.Add($"{path}: is set but the listener's Protocol is not http (set Protocol to http, or remove the Http section)");
            }

            return null;
        }

        o ??= new HttpListenerOptions();
        int before = errors.Count;
        var trusted = new List<CidrRange>();
        List<string> ranges = o.TrustForwardedHeadersFrom ?? [];
        for (int i = 0; i < ranges.Count; i++)
        {
            if (CidrRange.TryParse(ranges[i], out CidrRange range, out string error))
            {
                trusted.Add(range);
            }
            else
            {
                errors.Add($"{path}:TrustForwardedHeadersFrom:{i}: \"{ranges[i]}\" {error}");
            }
        }

        bool h2c = (o.UpstreamProtocol?.Trim().ToLowerInvariant()) switch
        {
            null or "" or "http1" => false,
            "h2c" => true,
            _ => Fail(errors, $"{path}:UpstreamProtocol: \"{o.UpstreamProtocol}\" is not an upstream protocol (use http1 or h2c)"),
        };

        X509Certificate2? certificate = LoadCertificate(o, path, errors);
        return errors.Count == before ? new HttpListenerSettings(o.Forwarded ?? false, trusted, h2c, certificate) : null;
    }

    private static X509Certificate2? LoadCertificate(HttpListenerOptions o, string path, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(o.Certificate))
        {
            if (o.CertificateKey is not null || o.CertificatePassword is not null)
            {
                errors.Add($"{path}:Certificate: is missing, but CertificateKey or CertificatePassword is set");
            }

            return null;
        }

        if (!File.Exists(o.Certificate))
        {
            errors.Add($"{path}:Certificate: \"{o.Certificate}\" does not exist");
            return null;
        }

        if (o.CertificateKey is not null && !File.Exists(o.CertificateKey))
        {
            errors.Add($"{path}:CertificateKey: \"{o.CertificateKey}\" does not exist");
            return null;
        }

        try
        {
            string extension = Path.GetExtension(o.Certificate).ToLowerInvariant();
            X509Certificate2 certificate = extension is ".pfx" or ".p12"
                ? X509CertificateLoader.LoadPkcs12FromFile(o.Certificate, o.CertificatePassword)
                : o.CertificatePassword is null
                    ? X509Certificate2.CreateFromPemFile(o.Certificate, o.CertificateKey)
                    : X509Certificate2.CreateFromEncryptedPemFile(o.Certificate, o.CertificatePassword, o.CertificateKey);
            if (!certificate.HasPrivateKey)
            {
                errors.Add($"{path}:Certificate: \"{o.Certificate}\" has no private key (set CertificateKey to the key file)");
                return null;
            }

            return certificate;
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or IOException)
        {
            errors.Add($"{path}:Certificate: \"{o.Certificate}\" cannot be loaded: {e.Message}");
            return null;
        }
    }

    private static bool Fail(List<string> errors, string message)
    {
        errors.Add(message);
        return false;
    }
}
