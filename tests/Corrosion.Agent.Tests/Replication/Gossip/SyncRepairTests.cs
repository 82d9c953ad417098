using Xunit.Abstractions;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Tests.Storage;

namespace Corrosion.Agent.Tests.Replication.Gossip;

public sealed class SyncRepairTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_partitioned_node_catches_up_by_sync_after_the_partition_heals()
    {
        await using var cluster = new GossipCluster();
        var nodes = await cluster.StartAsync(3);
        var (a, b, c) = (nodes[0], nodes[1], nodes[2]);
        await GossipCluster.WriteAsync(a, "INSERT INTO items (id, name) VALUES (1, 'before')");
        await GossipCluster.EventuallyAsync(() => c.Count() == 1, "c sees the first write");

        cluster.Isolate(c);
        for (var i = 2; i <= 6; i++)
        {
            await GossipCluster.WriteAsync(a, "INSERT INTO items (id, name) VALUES (?, 'while cut')", i);
        }

        await GossipCluster.WriteAsync(c, "INSERT INTO items (id, name) VALUES (100, 'from c while cut')");
        await GossipCluster.EventuallyAsync(() => b.Count() == 6, "b gets a's writes by broadcast");
        await GossipCluster.EventuallyAsync(() => c.Transport!.DroppedFrames >= 2, "c's broadcast is lost in the partition");
        Assert.Equal(2, c.Count());
        Assert.Equal(6, a.Count());

        cluster.HealAll();

        await GossipCluster.EventuallyAsync(() => nodes.All(n => n.Count() == 7), "every node has all seven rows");
        await GossipCluster.EventuallyAsync(async () => await c.HasAllOfAsync(a.Id, a.Store!.CurrentVersion), "c has a's versions without gaps");
        Assert.True((await GossipCluster.StatsAsync(c)).SyncChangesetsReceived >= 5);
    }

    [Fact]
    public async Task A_restarted_node_catches_up_by_sync_on_its_own_database()
    {
        // One pending broadcast at most: what a was writing while b was down cannot reach b by retransmission.
        await using var cluster = new GossipCluster { Broadcast = new() { MaxPending = 1, SeenCapacity = 1 } };
        var nodes = await cluster.StartAsync(2);
        var (a, b) = (nodes[0], nodes[1]);
        await GossipCluster.WriteAsync(b, "INSERT INTO items (id, name) VALUES (1, 'b before stop')");
        await GossipCluster.EventuallyAsync(() => a.Count() == 1, "a sees b's write");
        var bId = b.Id;

        await cluster.StopNodeAsync(b);
        for (var i = 2; i <= 8; i++)
        {
            await GossipCluster.WriteAsync(a, "INSERT INTO items (id, name) VALUES (?, 'while b was down')", i);
        }

        // A write is acknowledged before its changesets reach a's gossip actor: wait until all seven have (while b is
        // down), else a late one is broadcast straight to the restarted b and the test no longer shows sync.
        await GossipCluster.EventuallyAsync(async () => (await GossipCluster.StatsAsync(a)).LocalChangesets >= 7, "a's gossip has its seven writes");
        await cluster.RestartNodeAsync(b);

        Assert.Equal(bId, b.Id);
        await GossipCluster.EventuallyAsync(() => b.Count() == 8, "b catches up");
        await GossipCluster.EventuallyAsync(async () => await b.HasAllOfAsync(a.Id, a.Store!.CurrentVersion), "b has a's versions without gaps");
        Assert.True((await GossipCluster.StatsAsync(b)).SyncChangesetsReceived >= 6);
    }

    [Fact]
    public async Task A_version_whose_cells_were_all_overwritten_is_closed_by_an_empty_changeset()
    {
        await using var cluster = new GossipCluster();
        var nodes = await cluster.StartAsync(2);
        var (a, c) = (nodes[0], nodes[1]);
        cluster.Isolate(c);

        await GossipCluster.WriteAsync(a, "INSERT INTO items (id, name) VALUES (1, 'short-lived')");
        await GossipCluster.WriteAsync(a, "DELETE FROM items WHERE id = 1");
        await GossipCluster.WriteAsync(a, "INSERT INTO items (id, name) VALUES (2, 'kept')");
        var first = await a.Storage!.Ask<IReadOnlyList<Changeset>>(r => new ReadChanges(a.Id, VersionRange.Single(1), r), TimeSpan.FromSeconds(30));
        Assert.IsType<ChangesetEmpty>(Assert.Single(first));
        await GossipCluster.EventuallyAsync(() => a.Transport!.DroppedFrames >= 3, "a's broadcasts are lost in the partition");

        cluster.HealAll();

        await GossipCluster.EventuallyAsync(async () => await c.HasAllOfAsync(a.Id, 3), "c has versions 1..3 with no gap");
        Assert.Equal(["2|kept|0"], c.Items());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_ten_thousand_row_transaction_replicates_whole(bool partitioned)
    {
        await using var cluster = new GossipCluster();
        var nodes = await cluster.StartAsync(2);
        var (a, b) = (nodes[0], nodes[1]);
        if (partitioned)
        {
            cluster.Isolate(b);
        }

        var result = await GossipCluster.WriteAsync(
            a,
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000) INSERT INTO items (id, name, qty) SELECT i, 'row ' || i, i FROM n");
        Assert.True(result.Changesets.Count > 1, "the transaction is chunked");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        if (partitioned)
        {
            await GossipCluster.EventuallyAsync(() => a.Transport!.DroppedFrames >= result.Changesets.Count, "a's broadcasts are lost in the partition");
            Assert.Equal(0, b.Count());
            cluster.HealAll();
            clock.Restart();
        }

        await GossipCluster.EventuallyAsync(async () => await b.HasAllOfAsync(a.Id, result.Version!.Value), "b applies the whole version", TimeSpan.FromSeconds(60));
        output.WriteLine($"{(partitioned ? "sync" : "broadcast")}: 10,000 rows in {result.Changesets.Count} chunks applied on the peer {clock.ElapsedMilliseconds} ms after {(partitioned ? "the heal" : "the commit")}");
        Assert.Equal(10_000, b.Count());
        Assert.Equal(50_005_000, b.Store!.Scalar("SELECT sum(qty) FROM items").AsInteger);
    }

    [Fact]
    public async Task A_version_received_in_part_is_completed_by_asking_only_for_the_missing_chunks()
    {
        var fastSync = new GossipCluster().Sync;
        await using var cluster = new GossipCluster { Sync = new() { MinInterval = TimeSpan.FromHours(1), MaxInterval = TimeSpan.FromHours(1) } };
        var nodes = await cluster.StartAsync(2);
        var (a, b) = (nodes[0], nodes[1]);
        a.Transport!.DropRate = 0.5;

        var result = await GossipCluster.WriteAsync(
            a,
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) INSERT INTO items (id, name, qty) SELECT i, 'row ' || i, i FROM n");
        var version = result.Version!.Value;
        Assert.True(result.Changesets.Count >= 4, "the transaction is chunked");
        await GossipCluster.EventuallyAsync(
            async () => (await b.SyncStateAsync()).PartialNeeds.GetValueOrDefault(a.Id)?.ContainsKey(version) == true,
            "b holds part of the version");
        Assert.Equal(0, b.Count());

        // The buffered chunks are in b's database: restart it with sync on.
        a.Transport.DropRate = 0;
        await cluster.StopNodeAsync(b);
        cluster.Sync = fastSync;
        await cluster.RestartNodeAsync(b);

        await GossipCluster.EventuallyAsync(async () => await b.HasAllOfAsync(a.Id, version), "b completes the version");
        Assert.Equal(3000, b.Count());
        // Fewer than all chunks: what b buffered is not sent again. (Not "exactly the dropped ones":
        // retransmissions that arrive while b is stopped are lost too, without being counted as drops.)
        var received = (await GossipCluster.StatsAsync(b)).SyncChangesetsReceived;
        Assert.InRange(received, 1, result.Changesets.Count - 1);
    }

    [Fact]
    public async Task A_node_serving_no_sessions_refuses_them_and_the_asker_counts_the_failure()
    {
        var sync = new GossipCluster().Sync with { MaxIncoming = 0 };
        await using var cluster = new GossipCluster { Sync = sync };
        var nodes = await cluster.StartAsync(2);
        var (a, b) = (nodes[0], nodes[1]);
        cluster.Isolate(b);
        await GossipCluster.WriteAsync(a, "INSERT INTO items (id, name) VALUES (1, 'unreachable')");
        await GossipCluster.EventuallyAsync(() => a.Transport!.DroppedFrames >= 1, "a's broadcast is lost in the partition");
        cluster.HealAll();

        await GossipCluster.EventuallyAsync(
            async () => (await GossipCluster.StatsAsync(b)).SyncSessionsFailed >= 3 && (await GossipCluster.StatsAsync(a)).SyncSessionsFailed >= 3,
            "both sides count refused sessions");
        Assert.Equal(0, b.Count());
        Assert.Equal(0, (await GossipCluster.StatsAsync(a)).SyncSessionsServed);
    }

    [Fact]
    public async Task Sync_asks_each_missing_version_of_one_peer_only_and_spreads_the_work()
    {
        var sync = new GossipCluster().Sync with { MaxVersionsPerRequest = 5 };
        await using var cluster = new GossipCluster { Sync = sync };
        var nodes = await cluster.StartAsync(4);
        var (a, d) = (nodes[0], nodes[3]);
        cluster.Isolate(d);
        for (var i = 1; i <= 20; i++)
        {
            await GossipCluster.WriteAsync(a, "INSERT INTO items (id, name) VALUES (?, 'v')", i);
        }

        await GossipCluster.EventuallyAsync(() => nodes.Take(3).All(n => n.Count() == 20), "a, b and c have every write");
        await GossipCluster.EventuallyAsync(() => a.Transport!.DroppedFrames >= 20, "a's broadcasts to d are lost");
        Assert.Equal(0, d.Count());

        cluster.HealAll();

        await GossipCluster.EventuallyAsync(async () => await d.HasAllOfAsync(a.Id, 20), "d catches up");
        Assert.Equal(20, (await GossipCluster.StatsAsync(d)).SyncChangesetsReceived);
        var served = await Task.WhenAll(nodes.Take(3).Select(GossipCluster.StatsAsync));
        Assert.True(served.Count(s => s.SyncChangesetsServed > 0) >= 2, "more than one peer answered");
    }
}
