using Microsoft.Extensions.Configuration;

namespace Corrosion.Agent.Node;

/// <summary>Everything a node reads from configuration, bound from HOCON (see hocon/reference.conf).</summary>
public sealed class NodeOptions
{
    /// <summary>The <c>db</c> section.</summary>
    public DbOptions Db { get; set; } = new();

    /// <summary>The <c>api</c> section.</summary>
    public ApiOptions Api { get; set; } = new();

    /// <summary>The cluster id; nodes of different clusters ignore each other.</summary>
    [ConfigurationKeyName("cluster_id")]
    public ushort ClusterId { get; set; }

    /// <summary>Binds and validates the options from a configuration.</summary>
    /// <exception cref="InvalidOperationException">a value is out of range; the message names the key.</exception>
    public static NodeOptions Bind(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = new NodeOptions();
        configuration.Bind(options);
        options.Validate();
        return options;
    }

    /// <summary>Checks values that binding alone cannot.</summary>
    public void Validate()
    {
        Require(!string.IsNullOrWhiteSpace(Db.Path), "db.path", "must not be empty");
        Require(Db.ReadPoolSize is >= 1 and <= 64, "db.read_pool_size", "must be between 1 and 64");
        Require(Db.MaxChangesPerChunk is >= 1 and <= 100_000, "db.max_changes_per_chunk", "must be between 1 and 100000");
        Require(Db.Synchronous.ToUpperInvariant() is "OFF" or "NORMAL" or "FULL" or "EXTRA", "db.synchronous", "must be OFF, NORMAL, FULL or EXTRA");
        Require(EndpointText.TryParse(Api.Addr, out _), "api.addr", $"\"{Api.Addr}\" is not host:port");
        Require(Api.MaxBodySize.Bytes > 0, "api.max_body_size", "must be positive");
        Require(Api.DefaultTimeout > TimeSpan.Zero, "api.default_timeout", "must be positive");
    }

    private static void Require(bool condition, string key, string problem)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"configuration key {key} {problem}");
        }
    }
}
