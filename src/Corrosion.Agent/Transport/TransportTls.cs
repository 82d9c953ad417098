using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace Corrosion.Agent.Transport;

/// <summary>
/// The TLS material of a transport and the SslStream/QUIC options built from it. Peers are checked
/// against the configured CA only (not by host name): nodes dial each other by IP, and the CA is
/// the trust anchor of the mesh.
/// </summary>
internal sealed class TransportTls : IDisposable
{
    private TransportTls(X509Certificate2? certificate, X509Certificate2? authority, bool acceptAny)
    {
        Certificate = certificate;
        Authority = authority;
        AcceptAnyPeer = acceptAny;
    }

    public X509Certificate2? Certificate { get; }

    public X509Certificate2? Authority { get; }

    /// <summary>True when peer certificates are not checked (insecure mode or QUIC's self-signed fallback).</summary>
    public bool AcceptAnyPeer { get; }

    public bool MutualTls => Authority is not null;

    /// <summary>The configured material, or null when none is configured.</summary>
    public static TransportTls? FromOptions(TransportOptions options)
    {
        if (!options.HasCertificate)
        {
            return null;
        }

        var certificate = TlsCertificates.LoadPem(options.TlsCertFile!, options.TlsKeyFile!);
        var authority = options.TlsCaFile is { } ca ? TlsCertificates.LoadPem(ca) : null;
        return new TransportTls(certificate, authority, options.TlsInsecure);
    }

    /// <summary>A self-signed certificate accepted by anyone (QUIC must encrypt even when nothing is configured).</summary>
    public static TransportTls SelfSigned(ILogger logger)
    {
        TransportLog.SelfSignedCertificate(logger);
        return new TransportTls(TlsCertificates.CreateSelfSigned(), null, acceptAny: true);
    }

    public SslServerAuthenticationOptions ServerOptions(List<SslApplicationProtocol>? alpn = null) => new()
    {
        ServerCertificate = Certificate,
        ClientCertificateRequired = MutualTls,
        RemoteCertificateValidationCallback = (_, cert, _, errors) => !MutualTls || ValidatePeer(cert, errors),
        ApplicationProtocols = alpn,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
    };

    public SslClientAuthenticationOptions ClientOptions(string targetHost, List<SslApplicationProtocol>? alpn = null) => new()
    {
        TargetHost = targetHost,
        ClientCertificates = Certificate is null ? null : new X509CertificateCollection { Certificate },
        RemoteCertificateValidationCallback = (_, cert, _, errors) => ValidatePeer(cert, errors),
        ApplicationProtocols = alpn,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
    };

    private bool ValidatePeer(X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (AcceptAnyPeer)
        {
            return true;
        }

        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            return false;
        }

        if (Authority is null)
        {
            // No CA configured: the system's trust store decides, host name included.
            return errors == SslPolicyErrors.None;
        }

        using var owned = certificate as X509Certificate2 is null ? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()) : null;
        return TlsCertificates.IsIssuedBy(owned ?? (X509Certificate2)certificate, Authority);
    }

    public void Dispose()
    {
        Certificate?.Dispose();
        Authority?.Dispose();
    }
}
