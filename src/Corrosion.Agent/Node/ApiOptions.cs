using Corrosion.Hocon;
using Microsoft.Extensions.Configuration;

namespace Corrosion.Agent.Node;

/// <summary>The <c>api</c> section: the HTTP facade.</summary>
public sealed class ApiOptions
{
    /// <summary>Default listen address.</summary>
    public const string DefaultAddr = "127.0.0.1:8080";

    /// <summary>The HTTP listen address, <c>host:port</c> (port 0 picks a free one).</summary>
    public string Addr { get; set; } = DefaultAddr;

    /// <summary>The largest request body accepted.</summary>
    [ConfigurationKeyName("max_body_size")]
    public ByteSize MaxBodySize { get; set; } = new(8 * 1024 * 1024);

    /// <summary>How long a transaction may run when the request gives no <c>?timeout=</c>.</summary>
    [ConfigurationKeyName("default_timeout")]
    public TimeSpan DefaultTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Authorization.</summary>
    public AuthzOptions Authz { get; set; } = new();
}
