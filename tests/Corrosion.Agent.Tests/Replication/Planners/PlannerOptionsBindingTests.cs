using System.Reflection;
using Corrosion.Agent.Node;
using Corrosion.Agent.Replication.Broadcast;
using Corrosion.Agent.Replication.Sync;
using Corrosion.Hocon;
using Microsoft.Extensions.Configuration;

namespace Corrosion.Agent.Tests.Replication.Planners;

public sealed class PlannerOptionsBindingTests
{
    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)))
            .Build();

    [Fact]
    public void Broadcast_options_bind_from_the_reference_conf_key_names()
    {
        var config = Config(
            ("gossip:broadcast:fanout", "4"),
            ("gossip:broadcast:nearest_ring", "0"),
            ("gossip:broadcast:direct_relay", "1"),
            ("gossip:broadcast:retransmit_mult", "5"),
            ("gossip:broadcast:retransmit_interval", "00:00:00.350"),
            ("gossip:broadcast:max_pending", "10"),
            ("gossip:broadcast:seen_capacity", "20"));

        var options = config.GetSection("gossip:broadcast").Get<BroadcastOptions>()!.Validate();

        Assert.Equal(
            new BroadcastOptions
            {
                Fanout = 4,
                NearestRing = 0,
                DirectRelay = 1,
                RetransmitMult = 5,
                RetransmitInterval = TimeSpan.FromMilliseconds(350),
                MaxPending = 10,
                SeenCapacity = 20,
            },
            options);
    }

    [Fact]
    public void Sync_options_bind_from_the_reference_conf_key_names()
    {
        var config = Config(
            ("gossip:sync:min_interval", "00:00:02"),
            ("gossip:sync:max_interval", "00:00:30"),
            ("gossip:sync:max_versions_per_request", "50"),
            ("gossip:sync:max_versions_per_round", "5000"),
            ("gossip:sync:min_peers", "2"),
            ("gossip:sync:max_peers", "6"),
            ("gossip:sync:max_incoming", "7"),
            ("gossip:sync:max_outgoing", "8"));

        var options = config.GetSection("gossip:sync").Get<SyncOptions>()!.Validate();

        Assert.Equal(
            new SyncOptions
            {
                MinInterval = TimeSpan.FromSeconds(2),
                MaxInterval = TimeSpan.FromSeconds(30),
                MaxVersionsPerRequest = 50,
                MaxVersionsPerRound = 5000,
                MinPeers = 2,
                MaxPeers = 6,
                MaxIncoming = 7,
                MaxOutgoing = 8,
            },
            options);
    }

    public static TheoryData<string, Type> OptionSections => new()
    {
        { "gossip:broadcast", typeof(BroadcastOptions) },
        { "gossip:sync", typeof(SyncOptions) },
    };

    [Theory]
    [MemberData(nameof(OptionSections))]
    public void Reference_conf_has_a_key_for_every_planner_option(string section, Type options)
    {
        var keys = HoconParser.Parse(NodeConfiguration.ReferenceText(), "reference.conf")
            .Flatten()
            .Select(kv => kv.Key)
            .ToHashSet(StringComparer.OrdinalIgnoreCase);

        foreach (var property in options.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            var name = property.GetCustomAttribute<ConfigurationKeyNameAttribute>()?.Name;
            Assert.True(name is not null, $"{options.Name}.{property.Name} has no configuration key name");
            Assert.Contains($"{section}:{name}", keys);
        }
    }

    [Fact]
    public void Reference_conf_defaults_bind_to_the_coded_defaults()
    {
        var config = NodeConfiguration.Build(null);

        Assert.Equal(new BroadcastOptions(), config.GetSection("gossip:broadcast").Get<BroadcastOptions>());
        Assert.Equal(new SyncOptions(), config.GetSection("gossip:sync").Get<SyncOptions>());
    }

    [Fact]
    public void Hocon_durations_override_the_planner_intervals()
    {
        var config = NodeConfiguration.Build(null, [
            new("gossip:broadcast:retransmit_interval", "350ms"),
            new("gossip:sync:max_interval", "1m"),
        ]);

        Assert.Equal(TimeSpan.FromMilliseconds(350), config.GetSection("gossip:broadcast").Get<BroadcastOptions>()!.RetransmitInterval);
        Assert.Equal(TimeSpan.FromMinutes(1), config.GetSection("gossip:sync").Get<SyncOptions>()!.MaxInterval);
    }
}
