using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;

namespace Corrosion.Agent.Transport;

/// <summary>
/// Settings of the gossip transport (<c>gossip.*</c> in HOCON). Every bound has a named default.
/// </summary>
public sealed record TransportOptions
{
    /// <summary>Default largest frame accepted or sent: 8 MiB (a large changeset chunk fits many times over).</summary>
    public const int DefaultMaxFrameSize = 8 * 1024 * 1024;

    /// <summary>Default frames queued per peer before new ones are dropped.</summary>
    public const int DefaultSendQueuePerPeer = 1024;

    /// <summary>Default received frames buffered before links stop reading.</summary>
    public const int DefaultReceiveQueue = 4096;

    /// <summary>Default sync sessions accepted but not yet taken before new ones are refused.</summary>
    public const int DefaultIncomingSessionQueue = 64;

    /// <summary>Default most bytes coalesced into one write while the link is busy.</summary>
    public const int DefaultCoalesceBytes = 64 * 1024;

    /// <summary>Default time to connect, secure and greet a peer.</summary>
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Default time one write may take before the link is reset.</summary>
    public static readonly TimeSpan DefaultSendTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Default time a link or session may stay silent before it is closed.</summary>
    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Default first reconnect delay (doubles up to <see cref="DefaultReconnectBackoffMax"/>).</summary>
    public static readonly TimeSpan DefaultReconnectBackoffMin = TimeSpan.FromMilliseconds(100);

    /// <summary>Default longest reconnect delay.</summary>
    public static readonly TimeSpan DefaultReconnectBackoffMax = TimeSpan.FromSeconds(5);

    /// <summary>Which transport (<c>gossip.transport</c>).</summary>
    public TransportKind Transport { get; init; } = TransportKind.Auto;

    /// <summary>The address to listen on (<c>gossip.addr</c>); port 0 picks a free one.</summary>
    public IPEndPoint BindEndPoint { get; init; } = new(IPAddress.Loopback, 0);

    /// <summary>The cluster id written on and expected in every frame (<c>gossip.cluster_id</c>).</summary>
    public ushort ClusterId { get; init; }

    /// <summary>Allow unencrypted TCP (<c>gossip.plaintext</c>); without it TCP needs certificates.</summary>
    public bool Plaintext { get; init; }

    /// <summary>Largest frame, length prefix included (<c>gossip.max_frame_size</c>).</summary>
    public int MaxFrameSize { get; init; } = DefaultMaxFrameSize;

    /// <summary>Frames queued per peer (<c>gossip.send_queue_per_peer</c>).</summary>
    public int SendQueuePerPeer { get; init; } = DefaultSendQueuePerPeer;

    /// <summary>Received frames buffered (<c>gossip.receive_queue</c>).</summary>
    public int ReceiveQueue { get; init; } = DefaultReceiveQueue;

    /// <summary>Accepted sync sessions buffered (<c>gossip.incoming_session_queue</c>).</summary>
    public int IncomingSessionQueue { get; init; } = DefaultIncomingSessionQueue;

    /// <summary>Most bytes coalesced into one write (<c>gossip.coalesce_bytes</c>).</summary>
    public int CoalesceBytes { get; init; } = DefaultCoalesceBytes;

    /// <summary>Connect + TLS + greeting deadline (<c>gossip.connect_timeout</c>).</summary>
    public TimeSpan ConnectTimeout { get; init; } = DefaultConnectTimeout;

    /// <summary>Deadline of one write (<c>gossip.send_timeout</c>).</summary>
    public TimeSpan SendTimeout { get; init; } = DefaultSendTimeout;

    /// <summary>Silence after which a link or session is closed (<c>gossip.idle_timeout</c>).</summary>
    public TimeSpan IdleTimeout { get; init; } = DefaultIdleTimeout;

    /// <summary>First reconnect delay (<c>gossip.reconnect_backoff_min</c>).</summary>
    public TimeSpan ReconnectBackoffMin { get; init; } = DefaultReconnectBackoffMin;

    /// <summary>Longest reconnect delay (<c>gossip.reconnect_backoff_max</c>).</summary>
    public TimeSpan ReconnectBackoffMax { get; init; } = DefaultReconnectBackoffMax;

    /// <summary>PEM certificate of this node (<c>gossip.tls.cert_file</c>).</summary>
    public string? TlsCertFile { get; init; }

    /// <summary>PEM private key of this node (<c>gossip.tls.key_file</c>).</summary>
    public string? TlsKeyFile { get; init; }

    /// <summary>PEM CA that signs every node; setting it turns on mutual TLS (<c>gossip.tls.ca_file</c>).</summary>
    public string? TlsCaFile { get; init; }

    /// <summary>Accept any peer certificate (<c>gossip.tls.insecure</c>); for tests only.</summary>
    public bool TlsInsecure { get; init; }

    /// <summary>True when a certificate and key are configured.</summary>
    public bool HasCertificate => !string.IsNullOrEmpty(TlsCertFile) && !string.IsNullOrEmpty(TlsKeyFile);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        Require(MaxFrameSize >= 64, "gossip.max_frame_size must be at least 64 bytes");
        Require(SendQueuePerPeer > 0, "gossip.send_queue_per_peer must be positive");
        Require(ReceiveQueue > 0, "gossip.receive_queue must be positive");
        Require(IncomingSessionQueue > 0, "gossip.incoming_session_queue must be positive");
        Require(CoalesceBytes > 0, "gossip.coalesce_bytes must be positive");
        Require(ConnectTimeout > TimeSpan.Zero, "gossip.connect_timeout must be positive");
        Require(SendTimeout > TimeSpan.Zero, "gossip.send_timeout must be positive");
        Require(IdleTimeout > TimeSpan.Zero, "gossip.idle_timeout must be positive");
        Require(ReconnectBackoffMin > TimeSpan.Zero && ReconnectBackoffMax >= ReconnectBackoffMin, "gossip.reconnect_backoff_min/max must be positive and ordered");
        Require(string.IsNullOrEmpty(TlsCertFile) == string.IsNullOrEmpty(TlsKeyFile), "gossip.tls.cert_file and gossip.tls.key_file go together");
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new ArgumentException(message);
        }
    }

    /// <summary>
    /// Reads the <c>gossip</c> section (keys as in hocon/reference.conf); missing keys keep their defaults.
    /// Durations accept <c>500ms</c>, <c>5s</c>, <c>1m</c> or a plain number of milliseconds; sizes accept
    /// <c>64KiB</c>, <c>8MiB</c> or a plain number of bytes.
    /// </summary>
    public static TransportOptions FromConfiguration(IConfiguration gossip)
    {
        ArgumentNullException.ThrowIfNull(gossip);
        var d = new TransportOptions();
        return new TransportOptions
        {
            Transport = Parse(gossip, "transport", d.Transport, ParseTransport, "is not a transport (expected auto, quic or tcp)"),
            BindEndPoint = Parse(gossip, "addr", d.BindEndPoint, IPEndPoint.Parse, "is not an address (for example 127.0.0.1:8787)"),
            ClusterId = Parse(gossip, "cluster_id", d.ClusterId, c => ushort.Parse(c, CultureInfo.InvariantCulture), "is not a cluster id (0 to 65535)"),
            Plaintext = Parse(gossip, "plaintext", d.Plaintext, bool.Parse, "is not true or false"),
            MaxFrameSize = Parse(gossip, "max_frame_size", d.MaxFrameSize, t => Size(t, d.MaxFrameSize), SizeProblem),
            SendQueuePerPeer = Parse(gossip, "send_queue_per_peer", d.SendQueuePerPeer, t => Size(t, d.SendQueuePerPeer), SizeProblem),
            ReceiveQueue = Parse(gossip, "receive_queue", d.ReceiveQueue, t => Size(t, d.ReceiveQueue), SizeProblem),
            IncomingSessionQueue = Parse(gossip, "incoming_session_queue", d.IncomingSessionQueue, t => Size(t, d.IncomingSessionQueue), SizeProblem),
            CoalesceBytes = Parse(gossip, "coalesce_bytes", d.CoalesceBytes, t => Size(t, d.CoalesceBytes), SizeProblem),
            ConnectTimeout = Parse(gossip, "connect_timeout", d.ConnectTimeout, t => Duration(t, d.ConnectTimeout), DurationProblem),
            SendTimeout = Parse(gossip, "send_timeout", d.SendTimeout, t => Duration(t, d.SendTimeout), DurationProblem),
            IdleTimeout = Parse(gossip, "idle_timeout", d.IdleTimeout, t => Duration(t, d.IdleTimeout), DurationProblem),
            ReconnectBackoffMin = Parse(gossip, "reconnect_backoff_min", d.ReconnectBackoffMin, t => Duration(t, d.ReconnectBackoffMin), DurationProblem),
            ReconnectBackoffMax = Parse(gossip, "reconnect_backoff_max", d.ReconnectBackoffMax, t => Duration(t, d.ReconnectBackoffMax), DurationProblem),
            TlsCertFile = NullIfEmpty(gossip["tls:cert_file"]),
            TlsKeyFile = NullIfEmpty(gossip["tls:key_file"]),
            TlsCaFile = NullIfEmpty(gossip["tls:ca_file"]),
            TlsInsecure = Parse(gossip, "tls:insecure", false, bool.Parse, "is not true or false"),
        };
    }

    // Enum.Parse also takes a number ("7"), which would pass as an undefined transport.
    private static TransportKind ParseTransport(string text) =>
        !char.IsAsciiDigit(text[0]) && !text.StartsWith('-') && Enum.TryParse<TransportKind>(text, ignoreCase: true, out var kind) && Enum.IsDefined(kind)
            ? kind
            : throw new FormatException($"unknown transport {text}");

    private const string SizeProblem = "is not a size (for example 1024, 64KiB or 8MiB)";
    private const string DurationProblem = "is not a duration (for example 500ms or 5s)";

    /// <summary>
    /// One key's value, or the error a user can act on: the key's full name (which the node's configuration error
    /// prefixes with the file and line that set it) and what was wrong, not the parser's bare "not in a correct format".
    /// </summary>
    private static T Parse<T>(IConfiguration gossip, string key, T fallback, Func<string, T> parse, string problem)
    {
        var text = gossip[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        try
        {
            return parse(text.Trim());
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            throw new InvalidOperationException($"configuration key gossip.{key.Replace(':', '.')} \"{text}\" {problem}", e);
        }
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;

    internal static TimeSpan Duration(string? text, TimeSpan fallback)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        var s = text.Trim();
        (string Suffix, double Ms)[] units = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)];
        foreach (var (suffix, ms) in units)
        {
            if (s.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && double.TryParse(s[..^suffix.Length].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var n))
            {
                return TimeSpan.FromMilliseconds(n * ms);
            }
        }

        return TimeSpan.FromMilliseconds(double.Parse(s, CultureInfo.InvariantCulture));
    }

    internal static int Size(string? text, int fallback)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        var s = text.Trim();
        (string Suffix, long Factor)[] units = [("KiB", 1024), ("MiB", 1024 * 1024), ("KB", 1000), ("MB", 1_000_000), ("B", 1)];
        foreach (var (suffix, factor) in units)
        {
            if (s.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && long.TryParse(s[..^suffix.Length].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n))
            {
                return checked((int)(n * factor));
            }
        }

        return int.Parse(s, CultureInfo.InvariantCulture);
    }
}
