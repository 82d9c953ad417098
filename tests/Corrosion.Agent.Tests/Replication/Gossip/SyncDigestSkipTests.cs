using Corrosion.Agent.Replication.Sync;

namespace Corrosion.Agent.Tests.Replication.Gossip;

/// <summary>Sync rounds leave out peers whose sync digest equals ours, and still repair what broadcast lost.</summary>
public sealed class SyncDigestSkipTests
{
    [Fact]
    public async Task Idle_converged_nodes_that_hear_equal_digests_open_no_sync_sessions()
    {
        await using var cluster = new GossipCluster { ShareDigests = true };
        var nodes = await cluster.StartAsync(3);
        await GossipCluster.WriteAsync(nodes[0], "INSERT INTO items (id, name) VALUES (1, 'one')");
        await GossipCluster.EventuallyAsync(() => nodes.All(n => n.Count() == 1), "every node has the row");
        await WaitUntilDigestsAgreeAsync(nodes);

        var before = await Task.WhenAll(nodes.Select(GossipCluster.StatsAsync));
        // Many rounds at 100-300 ms: without skipping, each opens a session to both peers.
        await GossipCluster.EventuallyAsync(
            async () => (await Task.WhenAll(nodes.Select(GossipCluster.StatsAsync))).Select((s, i) => s.SyncRounds - before[i].SyncRounds).All(r => r >= 8),
            "eight more sync rounds on every node");

        var after = await Task.WhenAll(nodes.Select(GossipCluster.StatsAsync));
        for (var i = 0; i < nodes.Count; i++)
        {
            Assert.Equal(before[i].SyncSessionsOpened, after[i].SyncSessionsOpened);
            Assert.Equal(before[i].SyncSessionsServed, after[i].SyncSessionsServed);
            Assert.True(after[i].SyncPeersSkipped > before[i].SyncPeersSkipped, $"node {i} skipped no peer");
        }
    }

    [Fact]
    public async Task With_skipping_off_idle_nodes_keep_opening_sync_sessions()
    {
        await using var cluster = new GossipCluster { ShareDigests = true };
        cluster.Sync = cluster.Sync with { SkipMatchingDigests = false };
        var nodes = await cluster.StartAsync(2);
        await GossipCluster.WriteAsync(nodes[0], "INSERT INTO items (id, name) VALUES (1, 'one')");
        await GossipCluster.EventuallyAsync(() => nodes.All(n => n.Count() == 1), "every node has the row");

        var before = await GossipCluster.StatsAsync(nodes[1]);
        await GossipCluster.EventuallyAsync(
            async () => (await GossipCluster.StatsAsync(nodes[1])).SyncSessionsOpened - before.SyncSessionsOpened >= 3,
            "the node keeps opening sessions");
        Assert.Null(nodes[1].Digests.Local);
    }

    [Fact]
    public async Task A_version_lost_by_broadcast_is_still_synced_between_nodes_that_skip_equal_digests()
    {
        await using var cluster = new GossipCluster { ShareDigests = true };
        var nodes = await cluster.StartAsync(3);
        var (a, b, c) = (nodes[0], nodes[1], nodes[2]);
        await GossipCluster.WriteAsync(a, "INSERT INTO items (id, name) VALUES (1, 'before')");
        await GossipCluster.EventuallyAsync(() => nodes.All(n => n.Count() == 1), "every node has the first row");
        await WaitUntilDigestsAgreeAsync(nodes);
        var idle = await GossipCluster.StatsAsync(c);
        await GossipCluster.EventuallyAsync(
            async () => (await GossipCluster.StatsAsync(c)).SyncPeersSkipped > idle.SyncPeersSkipped, "c skips its equal peers");

        cluster.Isolate(c);
        await GossipCluster.WriteAsync(a, "INSERT INTO items (id, name) VALUES (2, 'lost for c')");
        await GossipCluster.EventuallyAsync(() => b.Count() == 2, "b gets the write by broadcast");
        await GossipCluster.EventuallyAsync(() => a.Transport!.DroppedFrames >= 1, "a's broadcast to c is lost");
        Assert.Equal(1, c.Count());
        var cut = await GossipCluster.StatsAsync(c);
        cluster.HealAll();

        await GossipCluster.EventuallyAsync(() => c.Count() == 2, "c gets the row by sync");
        await GossipCluster.EventuallyAsync(async () => await c.HasAllOfAsync(a.Id, a.Store!.CurrentVersion), "c has a's versions without gaps");
        Assert.True((await GossipCluster.StatsAsync(c)).SyncChangesetsReceived > cut.SyncChangesetsReceived);
        await WaitUntilDigestsAgreeAsync(nodes);
    }

    [Fact]
    public async Task A_peer_digest_older_than_digest_max_age_does_not_count()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var board = new SyncDigestBoard(time);
        var peer = Corrosion.Agent.Storage.ActorId.NewId();
        var digest = new SyncDigest(1, 2);
        board.Record(peer, digest);
        Assert.True(board.Matches(peer, digest, TimeSpan.FromSeconds(30)));
        Assert.False(board.Matches(peer, new SyncDigest(1, 3), TimeSpan.FromSeconds(30)));

        time.Advance(TimeSpan.FromSeconds(31));
        Assert.False(board.Matches(peer, digest, TimeSpan.FromSeconds(30)));

        board.Record(peer, digest);
        board.Record(peer, null);
        Assert.False(board.Matches(peer, digest, TimeSpan.FromSeconds(30)));
    }

    /// <summary>
    /// Every node has published the same digest and heard it from every other; then two more rounds on
    /// each, so a round that began before the digests were heard (and may have opened sessions) is over.
    /// </summary>
    private static async Task WaitUntilDigestsAgreeAsync(IReadOnlyList<GossipNode> nodes)
    {
        await GossipCluster.EventuallyAsync(
            () => nodes.All(n => n.Digests.Local is not null)
                && nodes.Select(n => n.Digests.Local).Distinct().Count() == 1
                && nodes.All(n => nodes.Where(o => o != n).All(o => n.Digests.Matches(o.Id, o.Digests.Local!.Value, TimeSpan.FromMinutes(1)))),
            "every node publishes the same digest and hears it from the others");
        var rounds = await Task.WhenAll(nodes.Select(GossipCluster.StatsAsync));
        await GossipCluster.EventuallyAsync(
            async () => (await Task.WhenAll(nodes.Select(GossipCluster.StatsAsync))).Select((s, i) => s.SyncRounds - rounds[i].SyncRounds).All(r => r >= 2),
            "two more rounds on every node");
    }
}
