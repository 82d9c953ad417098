using System.Net;
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
    // Made when first asked for (a self-signed one: at the first TLS handshake, so a node that never
    // meets a peer never starts OpenSSL, a few MiB of an idle node).
    private readonly Lazy<X509Certificate2>? _certificate;

    private TransportTls(X509Certificate2? certificate, X509Certificate2? authority, bool acceptAny)
        : this(certificate is null ? null : new Lazy<X509Certificate2>(() => certificate), authority, acceptAny)
    {
        _ = _certificate?.Value;
    }

    // The server side's certificate context, made once: SslStream keeps the OpenSSL context (and with it the key that
    // encrypts TLS session tickets) on it, so a peer's next session resumes instead of a full handshake with the
    // certificate, its signature and the chain checks. A context per handshake (ServerCertificate) made every sync
    // session (every 1-15 s per peer) a full handshake on both sides.
    private readonly Lazy<SslStreamCertificateContext>? _serverContext;

    private TransportTls(Lazy<X509Certificate2>? certificate, X509Certificate2? authority, bool acceptAny)
    {
        _certificate = certificate;
        _serverContext = certificate is null
            ? null
            : new Lazy<SslStreamCertificateContext>(() => SslStreamCertificateContext.Create(certificate.Value, additionalCertificates: null, offline: true));
        Authority = authority;
        AcceptAnyPeer = acceptAny;
    }

    public X509Certificate2? Certificate => _certificate?.Value;

    public X509Certificate2? Authority { get; }

    /// <summary>True when peer certificates are not checked (insecure mode or QUIC's self-signed fallback).</summary>
    public bool AcceptAnyPeer { get; }

    public bool MutualTls => Authority is not null;

    /// <summary>True for the self-signed fallback (no certificate configured): its certificate proves nothing to a peer.</summary>
    public bool IsSelfSigned { get; private init; }

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

    /// <summary>Reads the configured files again for a reload; logs the outcome.</summary>
    /// <exception cref="InvalidOperationException">A file is missing or unreadable, or not a certificate or key.</exception>
    public static TransportTls Reload(TransportOptions options, ILogger logger)
    {
        try
        {
            var fresh = FromOptions(options)!;
            TransportLog.CertificatesReloaded(logger, options.TlsCertFile!, fresh.Certificate!.Subject, fresh.Certificate.NotAfter.ToUniversalTime());
            return fresh;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            TransportLog.CertificateReloadFailed(logger, e.Message);
            throw new InvalidOperationException($"gossip.tls: cannot reload certificates, the previous ones stay in use: {e.Message}", e);
        }
    }

    /// <summary>A self-signed certificate accepted by anyone (QUIC must encrypt even when nothing is configured).</summary>
    public static TransportTls SelfSigned(ILogger logger)
    {
        TransportLog.SelfSignedCertificate(logger);
        return new TransportTls(new Lazy<X509Certificate2>(() => TlsCertificates.CreateSelfSigned()), null, acceptAny: true) { IsSelfSigned = true };
    }

    /// <param name="alpn">Application protocols (QUIC).</param>
    /// <param name="onRefused">Told why a peer's certificate was refused (for the log and the counter).</param>
    public SslServerAuthenticationOptions ServerOptions(List<SslApplicationProtocol>? alpn = null, Action<string>? onRefused = null) => new()
    {
        ServerCertificateContext = _serverContext?.Value,
        ClientCertificateRequired = MutualTls,
        RemoteCertificateValidationCallback = (_, cert, _, errors) => !MutualTls || ValidatePeer(cert, errors, onRefused),
        ApplicationProtocols = alpn,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
    };

    /// <param name="targetHost">The name sent in SNI.</param>
    /// <param name="alpn">Application protocols (QUIC).</param>
    /// <param name="onRefused">Told why the peer's certificate was refused.</param>
    public SslClientAuthenticationOptions ClientOptions(string targetHost, List<SslApplicationProtocol>? alpn = null, Action<string>? onRefused = null) => new()
    {
        TargetHost = targetHost,
        // The self-signed fallback sends no client certificate (no peer could check it, and SslStream does not resume a
        // session that has one); a configured certificate is always offered, for peers that require one.
        ClientCertificates = Certificate is null || IsSelfSigned ? null : new X509CertificateCollection { Certificate },
        RemoteCertificateValidationCallback = (_, cert, _, errors) => ValidatePeer(cert, errors, onRefused),
        ApplicationProtocols = alpn,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
    };

    /// <summary>
    /// The name a client sends for <paramref name="peer"/> (SNI; SslStream's session cache is keyed by it). A DNS peer
    /// keeps its name. An IP peer keeps its address only where the name is checked (system trust, no CA); otherwise
    /// (CA or accept-any) it gets a name of its own, <c>{address hex}-{port}.corrosion</c>: SslStream does not resume a
    /// session whose target is an IP address, so every sync session (every 1-15 s per peer) was a full handshake.
    /// </summary>
    public string TargetHostFor(EndPoint peer) => peer switch
    {
        DnsEndPoint dns => dns.Host,
        IPEndPoint ip when Authority is null && !AcceptAnyPeer => ip.Address.ToString(),
        IPEndPoint ip => FormattableString.Invariant($"{Convert.ToHexStringLower(ip.Address.GetAddressBytes())}-{ip.Port}.corrosion"),
        _ => "corrosion",
    };

    private bool ValidatePeer(X509Certificate? certificate, SslPolicyErrors errors, Action<string>? onRefused)
    {
        if (AcceptAnyPeer)
        {
            return true;
        }

        var refusal = Refusal(certificate, errors);
        if (refusal is not null)
        {
            onRefused?.Invoke(refusal);
        }

        return refusal is null;
    }

    /// <summary>Why a peer's certificate is not accepted, or null when it is.</summary>
    private string? Refusal(X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            return "the peer sent no certificate";
        }

        if (Authority is null)
        {
            // No CA configured: the system's trust store decides, host name included.
            return errors == SslPolicyErrors.None ? null : $"the certificate is not trusted by the system ({errors})";
        }

        using var owned = certificate as X509Certificate2 is null ? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()) : null;
        var peer = owned ?? (X509Certificate2)certificate;
        if (TlsCertificates.IsIssuedBy(peer, Authority))
        {
            return null;
        }

        var now = DateTime.Now;
        if (peer.NotAfter < now)
        {
            return $"certificate {peer.Subject} expired on {peer.NotAfter.ToUniversalTime():u}";
        }

        if (peer.NotBefore > now)
        {
            return $"certificate {peer.Subject} is not valid before {peer.NotBefore.ToUniversalTime():u}";
        }

        return $"certificate {peer.Subject} (issuer {peer.Issuer}) is not signed by the configured CA {Authority.Subject}";
    }

    public void Dispose()
    {
        if (_certificate is { IsValueCreated: true })
        {
            _certificate.Value.Dispose();
        }

        Authority?.Dispose();
    }
}
