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

    /// <summary>Default of <see cref="MaxQueryRows"/>.</summary>
    public const long DefaultMaxQueryRows = 1_000_000;

    /// <summary>Default of <see cref="MaxQueryBytes"/>: 256 MiB.</summary>
    public const long DefaultMaxQueryBytes = 256L * 1024 * 1024;

    /// <summary>
    /// Most rows one query answers (HTTP <c>/v1/queries</c> and the Akka client's queries); past it
    /// the stream ends with an error. 0 turns the limit off.
    /// </summary>
    [ConfigurationKeyName("max_query_rows")]
    public long MaxQueryRows { get; set; } = DefaultMaxQueryRows;

    /// <summary>
    /// Most bytes of values one query answers (text and blob bytes, 8 per number); past it the
    /// stream ends with an error. 0 turns the limit off.
    /// </summary>
    [ConfigurationKeyName("max_query_bytes")]
    public ByteSize MaxQueryBytes { get; set; } = new(DefaultMaxQueryBytes);

    /// <summary>The query output bound these options give.</summary>
    internal Storage.QueryOutputLimit QueryOutputLimit => new(MaxQueryRows, MaxQueryBytes.Bytes);

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

    /// <summary>
    /// How long a reader of a subscription or table watch that fell below <see cref="MinDataRate"/>
    /// gets to take the lines already sent and the closing <c>{"error"}</c> line; past it the
    /// connection is closed where it stands.
    /// </summary>
    [ConfigurationKeyName("stream_drain_timeout")]
    public TimeSpan StreamDrainTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Whether Kestrel runs a connection's request processing in the work item that received its bytes, and sends an
    /// answer in the thread that wrote it (<c>SocketTransportOptions.UnsafePreferInlineScheduling</c>), instead of one
    /// more thread-pool hop for each. Every endpoint awaits its I/O and its writer outcomes, so none holds that thread.
    /// </summary>
    [ConfigurationKeyName("inline_scheduling")]
    public bool InlineScheduling { get; set; } = DefaultInlineScheduling;

    /// <summary>Default of <see cref="InlineScheduling"/>.</summary>
    public const bool DefaultInlineScheduling = true;

    /// <summary>Authorization.</summary>
    public AuthzOptions Authz { get; set; } = new();
}
