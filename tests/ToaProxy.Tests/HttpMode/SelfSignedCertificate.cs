using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ToaProxy.Tests.HttpMode;

/// <summary>
/// A self-signed ECDSA certificate for 127.0.0.1 made by the test, written as PEM (certificate and
/// key files) and PKCS#12 into a temp directory that Dispose deletes.
/// </summary>
internal sealed class SelfSignedCertificate : IDisposable
{
    public const string Pkcs12Password = "test-password";

    private readonly DirectoryInfo _directory;

    private SelfSignedCertificate(DirectoryInfo directory, X509Certificate2 certificate)
    {
        _directory = directory;
        Certificate = certificate;
    }

    public X509Certificate2 Certificate { get; }

    public string CertificatePemPath => Path.Combine(_directory.FullName, "cert.pem");

    public string KeyPemPath => Path.Combine(_directory.FullName, "key.pem");

    public string Pkcs12Path => Path.Combine(_directory.FullName, "cert.pfx");

    public static SelfSignedCertificate Create()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=toaproxy-test", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));

        DirectoryInfo directory = Directory.CreateTempSubdirectory("toaproxy-cert-");
        var created = new SelfSignedCertificate(directory, certificate);
        File.WriteAllText(created.CertificatePemPath, certificate.ExportCertificatePem());
        File.WriteAllText(created.KeyPemPath, key.ExportPkcs8PrivateKeyPem());
        File.WriteAllBytes(created.Pkcs12Path, certificate.Export(X509ContentType.Pkcs12, Pkcs12Password));
        return created;
    }

    public void Dispose()
    {
        Certificate.Dispose();
        _directory.Delete(recursive: true);
    }
}
