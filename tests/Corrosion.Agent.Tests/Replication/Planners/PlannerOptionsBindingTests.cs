using Corrosion.Agent.Replication.Broadcast;
using Corrosion.Agent.Replication.Sync;
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
                MinPeers = 2,
                MaxPeers = 6,
                MaxIncoming = 7,
                MaxOutgoing = 8,
            },
            options);
    }

    [Fact]
    public void Reference_conf_documents_every_planner_key_with_the_coded_default()
    {
        var reference = File.ReadAllText(Path.Combine(RepoRoot(), "hocon", "reference.conf"));

        foreach (var line in new[]
        {
            $"fanout = {BroadcastOptions.DefaultFanout}",
            $"nearest_ring = {BroadcastOptions.DefaultNearestRing}",
            $"retransmit_mult = {BroadcastOptions.DefaultRetransmitMult}",
            $"retransmit_interval = {BroadcastOptions.DefaultRetransmitInterval.TotalMilliseconds}ms",
            $"max_pending = {BroadcastOptions.DefaultMaxPending}",
            $"seen_capacity = {BroadcastOptions.DefaultSeenCapacity}",
            $"min_interval = {SyncOptions.DefaultMinInterval.TotalSeconds}s",
            $"max_interval = {SyncOptions.DefaultMaxInterval.TotalSeconds}s",
            $"max_versions_per_request = {SyncOptions.DefaultMaxVersionsPerRequest}",
            $"min_peers = {SyncOptions.DefaultMinPeers}",
            $"max_peers = {SyncOptions.DefaultMaxPeers}",
            $"max_incoming = {SyncOptions.DefaultMaxIncoming}",
            $"max_outgoing = {SyncOptions.DefaultMaxOutgoing}",
        })
        {
            Assert.Contains(line, reference, StringComparison.Ordinal);
        }
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "hocon", "reference.conf")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("hocon/reference.conf not found above " + AppContext.BaseDirectory);
    }
}
