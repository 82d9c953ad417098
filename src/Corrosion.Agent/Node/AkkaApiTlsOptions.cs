using Microsoft.Extensions.Configuration;

namespace Corrosion.Agent.Node;

/// <summary>The <c>akka_api.tls</c> section.</summary>
public sealed class AkkaApiTlsOptions
{
    /// <summary>PEM certificate the gateway presents; empty with <see cref="KeyFile"/> empty means no TLS.</summary>
    [ConfigurationKeyName("cert_file")]
    public string CertFile { get; set; } = string.Empty;

    /// <summary>PEM private key of <see cref="CertFile"/>.</summary>
    [ConfigurationKeyName("key_file")]
    public string KeyFile { get; set; } = string.Empty;

    /// <summary>Skip validating the peer's certificate (tests only).</summary>
    public bool Insecure { get; set; }

    /// <summary>True when a certificate is configured.</summary>
    public bool Enabled => !string.IsNullOrEmpty(CertFile);
}
