using Microsoft.Extensions.Configuration;

namespace Corrosion.Agent.Node;

/// <summary>The <c>akka_api</c> section: the client gateway for the Akka client library over Akka.Remote.</summary>
public sealed class AkkaApiOptions
{
    /// <summary>Default listen address.</summary>
    public const string DefaultAddr = "127.0.0.1:8790";

    /// <summary>Serve the gateway (<c>/user/corrosion/client</c>) over Akka.Remote; false opens no socket.</summary>
    public bool Enabled { get; set; }

    /// <summary>Akka.Remote's listen address, <c>host:port</c>; port 0 picks a free one (printed at start-up).</summary>
    public string Addr { get; set; } = DefaultAddr;

    /// <summary>Rows per batch of a query or subscription stream.</summary>
    [ConfigurationKeyName("batch_rows")]
    public int BatchRows { get; set; } = 500;

    /// <summary>Batches a stream sends ahead of the receiver's last acknowledgement.</summary>
    public int Window { get; set; } = 8;

    /// <summary>How long a stream waits for an acknowledgement with its window full before it cuts the receiver off.</summary>
    [ConfigurationKeyName("ack_timeout")]
    public TimeSpan AckTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Streams (queries, subscription listeners, table watches) served at once; more are refused as unavailable.</summary>
    [ConfigurationKeyName("max_streams")]
    public int MaxStreams { get; set; } = 1000;

    /// <summary>TLS for Akka.Remote.</summary>
    public AkkaApiTlsOptions Tls { get; set; } = new();

    /// <summary>Checks the values.</summary>
    /// <exception cref="InvalidOperationException">a value is out of range; the message names the key.</exception>
    public void Validate()
    {
        Require(EndpointText.TryParse(Addr, out _), "akka_api.addr", $"\"{Addr}\" is not host:port");
        Require(BatchRows is >= 1 and <= 100_000, "akka_api.batch_rows", "must be between 1 and 100000");
        Require(Window is >= 1 and <= 1024, "akka_api.window", "must be between 1 and 1024");
        Require(AckTimeout > TimeSpan.Zero, "akka_api.ack_timeout", "must be positive");
        Require(MaxStreams >= 1, "akka_api.max_streams", "must be at least 1");
        Require(string.IsNullOrEmpty(Tls.CertFile) == string.IsNullOrEmpty(Tls.KeyFile), "akka_api.tls.cert_file", "akka_api.tls.cert_file and akka_api.tls.key_file go together");
    }

    private static void Require(bool condition, string key, string problem)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"{key}: {problem}");
        }
    }
}
