using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sluice.Host.Dev;

namespace Sluice.Testing;

/// <summary>
/// A self-signed certificate for <c>127.0.0.1</c> and <c>localhost</c>, made once per test process, with which the
/// tests' Azurite (and any storage proxy in front of it) serves HTTPS: Azure storage takes bearer tokens over TLS
/// only, and so do the SDK and Azurite. Only the tests' own clients trust it, each through
/// <see cref="CreateHandler"/>; nothing disables certificate validation or touches the machine's trust store.
/// </summary>
public static class TestCertificate
{
    private static readonly Lazy<(X509Certificate2 Certificate, AzuriteTls Files)> s_created = new(Create);

    /// <summary>The certificate with its private key (a proxy's Kestrel serves with it).</summary>
    public static X509Certificate2 Certificate => s_created.Value.Certificate;

    /// <summary>The certificate and key as PEM files, for Azurite's <c>--cert</c> and <c>--key</c>.</summary>
    public static AzuriteTls AzuriteFiles => s_created.Value.Files;

    /// <summary>Whether a server that presented <paramref name="presented"/> is trusted: it must be exactly this
    /// certificate, valid for the host asked for. The chain error is expected (no authority signed it); any other is not.</summary>
    public static bool Trusts(X509Certificate? presented, SslPolicyErrors errors) =>
        presented is not null
        && (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None
        && presented.GetRawCertData().AsSpan().SequenceEqual(Certificate.RawData);

    /// <summary>An HTTP handler whose TLS trusts this certificate and nothing else.</summary>
    public static SocketsHttpHandler CreateHandler() => new()
    {
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, _, errors) => Trusts(certificate, errors),
        },
    };

    private static (X509Certificate2, AzuriteTls) Create()
    {
        // Not disposed: the certificate's private key must outlive this method (a proxy's Kestrel serves with it).
        var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=Sluice test storage", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        // Validity is checked against the wall clock by TLS itself, so the real clock is the right one here.
        var now = TimeProvider.System.GetUtcNow();
        var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(7));

        var directory = Directory.CreateTempSubdirectory("sluice-azurite-tls-");
        var certificatePath = Path.Combine(directory.FullName, "cert.pem");
        var keyPath = Path.Combine(directory.FullName, "key.pem");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                directory.Delete(recursive: true);
            }
            catch (IOException)
            {
                // A temp directory left behind is harmless.
            }
        };
        return (certificate, new AzuriteTls(certificatePath, keyPath));
    }
}
