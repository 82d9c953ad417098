using Corrosion.Agent.Membership;
using Corrosion.Agent.Transport;
using Microsoft.Extensions.Configuration;

namespace Corrosion.Agent.Node;

/// <summary>Everything a node reads from configuration, bound from HOCON (see hocon/reference.conf).</summary>
public sealed class NodeOptions
{
    /// <summary>The <c>db</c> section.</summary>
    public DbOptions Db { get; set; } = new();

    /// <summary>The <c>api</c> section.</summary>
    public ApiOptions Api { get; set; } = new();

    /// <summary>The <c>gossip</c> section: transport, address, cluster id, TLS.</summary>
    public TransportOptions Gossip { get; set; } = new();

    /// <summary>The <c>membership</c> section: SWIM tuning, bootstrap list, advertised address.</summary>
    public MembershipOptions Membership { get; set; } = new();

    /// <summary>The cluster id (<c>gossip.cluster_id</c>); nodes of different clusters ignore each other.</summary>
    public ushort ClusterId => Gossip.ClusterId;

    /// <summary>Binds and validates the options from a configuration.</summary>
    /// <exception cref="InvalidOperationException">a value is out of range; the message names the key.</exception>
    public static NodeOptions Bind(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = new NodeOptions
        {
            Db = configuration.GetSection("db").Get<DbOptions>() ?? new DbOptions(),
            Api = configuration.GetSection("api").Get<ApiOptions>() ?? new ApiOptions(),
            Gossip = TransportOptions.FromConfiguration(configuration.GetSection("gossip")),
            Membership = MembershipOptions.FromConfiguration(configuration.GetSection("membership")),
        };
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
        Gossip.Validate();
        Membership.Validate();
        var bind = Gossip.BindEndPoint.Address;
        Require(
            Membership.AdvertiseAddr.Length > 0 || !(bind.Equals(System.Net.IPAddress.Any) || bind.Equals(System.Net.IPAddress.IPv6Any)),
            "membership.advertise_addr",
            $"must be set when gossip.addr binds the wildcard address {Gossip.BindEndPoint}");
    }

    private static void Require(bool condition, string key, string problem)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"configuration key {key} {problem}");
        }
    }
}
