using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Corrosion.Agent.Transport;

/// <summary>
/// Makes the certificates of a gossip mesh (behind <c>corrosion tls ca|server|client generate</c>):
/// a CA, and server and client certificates signed by it, as PEM files. Keys are ECDSA P-256.
/// </summary>
public static class TlsCertificates
{
    /// <summary>Default validity of a CA: ten years.</summary>
    public static readonly TimeSpan DefaultAuthorityValidity = TimeSpan.FromDays(3650);

    /// <summary>Default validity of a node certificate: one year.</summary>
    public static readonly TimeSpan DefaultLeafValidity = TimeSpan.FromDays(365);

    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    // Certificates are back-dated a little so peers with slightly slow clocks accept them at once.
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    /// <summary>Makes a self-signed CA certificate (with its private key) that may sign node certificates.</summary>
    public static X509Certificate2 CreateAuthority(string commonName = "Corrosion CA", TimeSpan? validity = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName("CN=" + commonName), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now - ClockSkew, now + (validity ?? DefaultAuthorityValidity));
    }

    /// <summary>
    /// Makes a server certificate signed by <paramref name="authority"/> for the given DNS names and IP
    /// addresses. It may also serve as the node's client certificate (both usages are set), since a
    /// gossip node is both.
    /// </summary>
    public static X509Certificate2 CreateServer(X509Certificate2 authority, IEnumerable<string> names, TimeSpan? validity = null)
    {
        ArgumentNullException.ThrowIfNull(names);
        var list = names.ToList();
        var commonName = list.Count > 0 ? list[0] : "corrosion";
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in list)
        {
            if (IPAddress.TryParse(name, out var ip))
            {
                san.AddIpAddress(ip);
            }
            else
            {
                san.AddDnsName(name);
            }
        }

        return CreateLeaf(authority, commonName, [ServerAuthOid, ClientAuthOid], list.Count > 0 ? san.Build() : null, validity);
    }

    /// <summary>Makes a client certificate signed by <paramref name="authority"/>.</summary>
    public static X509Certificate2 CreateClient(X509Certificate2 authority, string commonName = "corrosion client", TimeSpan? validity = null) =>
        CreateLeaf(authority, commonName, [ClientAuthOid], null, validity);

    /// <summary>Makes a self-signed node certificate (QUIC without configured certificates).</summary>
    public static X509Certificate2 CreateSelfSigned(string commonName = "corrosion", TimeSpan? validity = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName("CN=" + commonName), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ServerAuthOid), new Oid(ClientAuthOid)], false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now - ClockSkew, now + (validity ?? DefaultLeafValidity));
    }

    private static X509Certificate2 CreateLeaf(
        X509Certificate2 authority, string commonName, string[] usages, X509Extension? san, TimeSpan? validity)
    {
        ArgumentNullException.ThrowIfNull(authority);
        if (!authority.HasPrivateKey)
        {
            throw new ArgumentException("the CA certificate has no private key, so it cannot sign", nameof(authority));
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName("CN=" + commonName), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection().With(usages), false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, true, false));
        if (san is not null)
        {
            request.CertificateExtensions.Add(san);
        }

        var now = DateTimeOffset.UtcNow;
        var notAfter = now + (validity ?? DefaultLeafValidity);
        if (notAfter > authority.NotAfter)
        {
            notAfter = authority.NotAfter;
        }

        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // a positive serial number
        using var signed = request.Create(authority, now - ClockSkew, notAfter, serial);
        return signed.CopyWithPrivateKey(key);
    }

    private static OidCollection With(this OidCollection collection, string[] oids)
    {
        foreach (var oid in oids)
        {
            collection.Add(new Oid(oid));
        }

        return collection;
    }

    /// <summary>The certificate as PEM text.</summary>
    public static string ExportCertificatePem(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return certificate.ExportCertificatePem();
    }

    /// <summary>The private key as PKCS#8 PEM text.</summary>
    public static string ExportPrivateKeyPem(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        using var key = certificate.GetECDsaPrivateKey() ?? throw new ArgumentException("certificate has no ECDSA private key", nameof(certificate));
        return key.ExportPkcs8PrivateKeyPem();
    }

    /// <summary>Writes the certificate and its key as PEM files (the key readable by its owner only, on Unix).</summary>
    public static void WritePemFiles(X509Certificate2 certificate, string certPath, string keyPath)
    {
        File.WriteAllText(certPath, ExportCertificatePem(certificate));
        File.WriteAllText(keyPath, ExportPrivateKeyPem(certificate));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    /// <summary>Loads a certificate from a PEM file, with its key when <paramref name="keyPath"/> is given.</summary>
    public static X509Certificate2 LoadPem(string certPath, string? keyPath = null) =>
        keyPath is null
            ? X509Certificate2.CreateFromPem(File.ReadAllText(certPath))
            : X509Certificate2.CreateFromPemFile(certPath, keyPath);

    /// <summary>True when <paramref name="certificate"/> chains to <paramref name="authority"/> (and nothing else), is valid now, and is not a CA.</summary>
    public static bool IsIssuedBy(X509Certificate2 certificate, X509Certificate2 authority)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(authority);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate) && chain.ChainElements[^1].Certificate.RawDataMemory.Span.SequenceEqual(authority.RawDataMemory.Span);
    }
}
