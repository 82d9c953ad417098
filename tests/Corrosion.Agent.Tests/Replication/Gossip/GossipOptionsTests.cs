using System.Reflection;
using Corrosion.Agent.Node;
using Corrosion.Agent.Replication;
using Corrosion.Hocon;
using Microsoft.Extensions.Configuration;

namespace Corrosion.Agent.Tests.Replication.Gossip;

public sealed class GossipOptionsTests
{
    [Fact]
    public void Reference_conf_has_a_key_for_every_gossip_option()
    {
        var keys = HoconParser.Parse(NodeConfiguration.ReferenceText(), "reference.conf")
            .Flatten()
            .Select(kv => kv.Key)
            .ToHashSet(StringComparer.OrdinalIgnoreCase);

        foreach (var property in typeof(GossipOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            var name = property.GetCustomAttribute<ConfigurationKeyNameAttribute>()?.Name;
            Assert.True(name is not null, $"GossipOptions.{property.Name} has no configuration key name");
            Assert.Contains($"gossip:replication:{name}", keys);
        }
    }

    [Fact]
    public void Reference_conf_defaults_bind_to_the_coded_defaults()
    {
        var config = NodeConfiguration.Build(null);

        Assert.Equal(new GossipOptions(), config.GetSection("gossip:replication").Get<GossipOptions>());
    }

    [Fact]
    public void Overrides_bind_from_the_key_names()
    {
        var config = NodeConfiguration.Build(null, [
            new("gossip:replication:receive_batch", "10"),
            new("gossip:replication:apply_batch_changes", "20"),
            new("gossip:replication:serve_read_versions", "3"),
            new("gossip:replication:storage_timeout", "5s"),
            new("gossip:replication:session_timeout", "2m"),
        ]);

        Assert.Equal(
            new GossipOptions
            {
                ReceiveBatch = 10,
                ApplyBatchChanges = 20,
                ServeReadVersions = 3,
                StorageTimeout = TimeSpan.FromSeconds(5),
                SessionTimeout = TimeSpan.FromMinutes(2),
            },
            config.GetSection("gossip:replication").Get<GossipOptions>()!.Validate());
    }

    [Fact]
    public void Back_pressure_keys_bind_and_zero_turns_it_off()
    {
        var config = NodeConfiguration.Build(null, [
            new("gossip:replication:applied_report_interval", "0s"),
            new("gossip:replication:max_peer_lag_changes", "0"),
            new("gossip:replication:peer_report_max_age", "3s"),
            new("gossip:replication:max_write_wait", "250ms"),
        ]);

        var options = config.GetSection("gossip:replication").Get<GossipOptions>()!.Validate();

        Assert.Equal(TimeSpan.Zero, options.AppliedReportInterval);
        Assert.Equal(0, options.MaxPeerLagChanges);
        Assert.Equal(TimeSpan.FromSeconds(3), options.PeerReportMaxAge);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.MaxWriteWait);
    }

    [Fact]
    public void Back_pressure_is_on_by_default()
    {
        var options = NodeConfiguration.Build(null).GetSection("gossip:replication").Get<GossipOptions>()!;

        Assert.Equal(10_000, options.MaxPeerLagChanges);
        Assert.Equal(TimeSpan.FromMilliseconds(100), options.AppliedReportInterval);
        Assert.Equal(TimeSpan.FromSeconds(1), options.MaxWriteWait);
    }

    [Theory]
    [InlineData("max_peer_lag_changes", "-1")]
    [InlineData("peer_report_max_age", "0s")]
    [InlineData("receive_batch", "0")]
    [InlineData("apply_batch_changes", "0")]
    [InlineData("serve_read_versions", "0")]
    [InlineData("storage_timeout", "0s")]
    [InlineData("session_timeout", "0s")]
    public void An_invalid_value_is_refused_naming_the_section(string key, string value)
    {
        var config = NodeConfiguration.Build(null, [new($"gossip:replication:{key}", value)]);

        var error = Assert.Throws<ArgumentException>(() => config.GetSection("gossip:replication").Get<GossipOptions>()!.Validate());

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }
}
