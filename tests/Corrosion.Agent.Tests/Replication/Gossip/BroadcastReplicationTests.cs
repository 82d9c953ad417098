using System.Buffers.Binary;
using Corrosion.Agent.Replication.Sync;
using Corrosion.Agent.Replication.Wire;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Tests.Storage;

namespace Corrosion.Agent.Tests.Replication.Gossip;

public sealed class BroadcastReplicationTests
{
    /// <summary>Sync so slow it never runs within a test: only broadcast can deliver.</summary>
    private static readonly SyncOptions NoSync = new() { MinInterval = TimeSpan.FromHours(1), MaxInterval = TimeSpan.FromHours(1) };

    [Fact]
    public async Task A_write_on_one_node_becomes_visible_on_all_by_broadcast()
    {
        await using var cluster = new GossipCluster { Sync = NoSync };
        var nodes = await cluster.StartAsync(4);

        await GossipCluster.WriteAsync(nodes[0], "INSERT INTO items (id, name, qty) VALUES (1, 'bolt', 5)");

        await GossipCluster.EventuallyAsync(
            () => nodes.All(n => n.Items().SequenceEqual(["1|bolt|5"])), "every node sees the row");
        var stats = await Task.WhenAll(nodes.Skip(1).Select(GossipCluster.StatsAsync));
        Assert.All(stats, s => Assert.True(s.BroadcastsReceived > 0));
        Assert.All(stats, s => Assert.Equal(0, s.SyncChangesetsReceived));
        Assert.True((await GossipCluster.StatsAsync(nodes[0])).BroadcastsSent > 0);
    }

    [Fact]
    public async Task A_node_the_origin_cannot_reach_gets_the_change_by_re_broadcast()
    {
        await using var cluster = new GossipCluster { Sync = NoSync };
        var nodes = await cluster.StartAsync(3);
        var (a, b, c) = (nodes[0], nodes[1], nodes[2]);
        a.Transport!.Cut(c.Address!);

        await GossipCluster.WriteAsync(a, "INSERT INTO items (id, name, qty) VALUES (1, 'relayed', 1)");

        await GossipCluster.EventuallyAsync(() => c.Items().SequenceEqual(["1|relayed|1"]), "c gets the row through b");
        Assert.True((await GossipCluster.StatsAsync(b)).BroadcastsSent > 0, "b re-broadcast what it saw first");
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.3)]
    public async Task Concurrent_conflicting_writes_on_different_nodes_converge_to_identical_tables(double dropRate)
    {
        await using var cluster = new GossipCluster();
        var nodes = await cluster.StartAsync(3);
        foreach (var node in nodes)
        {
            node.Transport!.DropRate = dropRate;
        }

        // Every node writes the same keys at once, with its own values, over several transactions.
        var writes = nodes.Select((node, n) => Task.Run(async () =>
        {
            for (var round = 0; round < 5; round++)
            {
                for (var id = 1; id <= 4; id++)
                {
                    await GossipCluster.WriteAsync(
                        node,
                        "INSERT INTO items (id, name, qty) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name, qty = excluded.qty",
                        id,
                        $"n{n}-r{round}",
                        (n * 10) + round);
                }

                if (n == round % 3)
                {
                    await GossipCluster.WriteAsync(node, "DELETE FROM items WHERE id = ?", round % 4 + 1);
                }
            }
        })).ToArray();
        await Task.WhenAll(writes);
        var heads = nodes.Select(n => (n.Id, n.Store!.CurrentVersion)).ToList();

        await GossipCluster.EventuallyAsync(
            async () =>
            {
                foreach (var node in nodes)
                {
                    foreach (var (actor, head) in heads)
                    {
                        if (!await node.HasAllOfAsync(actor, head))
                        {
                            return false;
                        }
                    }
                }

                return true;
            },
            "every node has every version");
        var first = nodes[0].Store!.Snapshot();
        Assert.NotEmpty(first);
        Assert.All(nodes.Skip(1), n => Assert.Equal(first, n.Store!.Snapshot()));
    }

    [Fact]
    public async Task Malformed_broadcast_frames_are_dropped_and_counted_without_harm()
    {
        await using var cluster = new GossipCluster { Sync = NoSync };
        var nodes = await cluster.StartAsync(2);

        // A frame with a good header (this cluster, a broadcast) and a payload that is not a changeset.
        var frame = new byte[FrameHeader.Size + 5];
        new FrameHeader((uint)(frame.Length - FrameHeader.LengthPrefixSize), FrameKind.Broadcast, 1, GossipCluster.ClusterId).WriteTo(frame);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(FrameHeader.Size), 0xdeadbeef);
        Assert.True(nodes[0].Transport!.TrySend(nodes[1].Address!, frame));

        await GossipCluster.EventuallyAsync(async () => (await GossipCluster.StatsAsync(nodes[1])).DecodeErrors == 1, "the bad frame is counted");
        await GossipCluster.WriteAsync(nodes[0], "INSERT INTO items (id, name) VALUES (2, 'nut')");
        await GossipCluster.EventuallyAsync(() => nodes[1].Items().SequenceEqual(["2|nut|0"]), "later broadcasts still arrive");
    }

    [Fact]
    public async Task A_duplicate_broadcast_is_counted_and_not_applied_twice()
    {
        await using var cluster = new GossipCluster { Sync = NoSync };
        var nodes = await cluster.StartAsync(2);
        var result = await GossipCluster.WriteAsync(nodes[0], "INSERT INTO items (id, name) VALUES (3, 'gear')");
        await GossipCluster.EventuallyAsync(() => nodes[1].Count() == 1, "the row arrives");
        var before = await GossipCluster.StatsAsync(nodes[1]);

        var again = Corrosion.Agent.Replication.ReplicationCodec.Encode(GossipCluster.ClusterId, new BroadcastChangeset(result.Changesets[0]));
        Assert.True(nodes[0].Transport!.TrySend(nodes[1].Address!, again));

        await GossipCluster.EventuallyAsync(
            async () => (await GossipCluster.StatsAsync(nodes[1])).BroadcastDuplicates > before.BroadcastDuplicates, "the copy is seen as a duplicate");
        var after = await GossipCluster.StatsAsync(nodes[1]);
        Assert.Equal(before.VersionsApplied, after.VersionsApplied);
        Assert.Equal(1, after.VersionsApplied);
    }
}
