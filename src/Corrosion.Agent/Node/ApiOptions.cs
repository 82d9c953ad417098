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

    /// <summary>Longest a client may take to send its request headers (Kestrel's <c>RequestHeadersTimeout</c>).</summary>
    [ConfigurationKeyName("request_headers_timeout")]
    public TimeSpan RequestHeadersTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Slowest a client may send a request body or read a response, in bytes per second, once
    /// <see cref="MinDataRateGrace"/> has passed (Kestrel's <c>MinRequestBodyDataRate</c> and
    /// <c>MinResponseDataRate</c>); 0 turns the limit off.
    /// </summary>
    [ConfigurationKeyName("min_data_rate")]
    public ByteSize MinDataRate { get; set; } = new(240);

    /// <summary>How long a transfer may run below <see cref="MinDataRate"/> before the connection is closed.</summary>
    [ConfigurationKeyName("min_data_rate_grace")]
    public TimeSpan MinDataRateGrace { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Authorization.</summary>
    public AuthzOptions Authz { get; set; } = new();
}
