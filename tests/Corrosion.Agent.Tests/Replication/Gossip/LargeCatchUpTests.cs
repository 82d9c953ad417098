using Corrosion.Agent.Replication;
using Corrosion.Agent.Replication.Sync;

namespace Corrosion.Agent.Tests.Replication.Gossip;

/// <summary>A node that missed many versions pulls them by sync in several reads, batches and rounds.</summary>
public sealed class LargeCatchUpTests
{
    [Fact]
    public async Task Sync_answers_read_in_small_pieces_and_merged_in_overlapping_batches_bring_every_version()
    {
        // Reads of at most 3 versions and 4 changes, merges of 5 changes: many pieces, two batches in flight at once.
        // Rounds a minute apart: one round must bring everything.
        await using var cluster = new GossipCluster
        {
            Options = new() { ServeReadVersions = 3, ServeReadChanges = 4, ApplyBatchChanges = 5 },
            Sync = new() { MinInterval = TimeSpan.FromMinutes(1), MaxInterval = TimeSpan.FromMinutes(1) },
        };
        var nodes = await cluster.StartAsync(2);
        var (a, b) = (nodes[0], nodes[1]);
        cluster.Isolate(b);
        long head = 0;
        for (var i = 1; i <= 40; i++)
        {
            // Versions of 1 to 3 rows, so pieces end inside and at the end of versions.
            var rows = string.Join(", ", Enumerable.Range(0, 1 + (i % 3)).Select(r => $"({(i * 10) + r}, 'v{i}')"));
            head = (await GossipCluster.WriteAsync(a, $"INSERT INTO items (id, name) VALUES {rows}")).Version!.Value;
        }

        await GossipCluster.EventuallyAsync(() => a.Transport!.DroppedFrames >= 40, "a's broadcasts are lost in the partition");
        cluster.HealAll();
        // The rounds so far found nothing: one more must do.
        var rounds = (await GossipCluster.StatsAsync(b)).SyncRounds;
        b.Gossip!.Tell(new PeerReturned(a.Id, a.Address!));

        await GossipCluster.EventuallyAsync(async () => await b.HasAllOfAsync(a.Id, head), "b has all of a's versions after one round", TimeSpan.FromSeconds(20));
        Assert.Equal(rounds + 1, (await GossipCluster.StatsAsync(b)).SyncRounds);
        Assert.Equal(a.Items(), b.Items());
        Assert.Equal(80, b.Count());
    }

    [Fact]
    public async Task A_round_that_asked_for_its_cap_of_versions_is_followed_at_once_by_the_next()
    {
        // Rounds a minute apart, at most 10 versions per peer per round: 50 missed versions take 5 rounds, which only
        // rounds started at once can do within the deadline.
        await using var cluster = new GossipCluster
        {
            Sync = new() { MinInterval = TimeSpan.FromMinutes(1), MaxInterval = TimeSpan.FromMinutes(1), MaxVersionsPerRequest = 10, MaxVersionsPerRound = 10 },
        };
        var nodes = await cluster.StartAsync(2);
        var (a, b) = (nodes[0], nodes[1]);
        cluster.Isolate(b);
        long head = 0;
        for (var i = 1; i <= 50; i++)
        {
            head = (await GossipCluster.WriteAsync(a, "INSERT INTO items (id, name) VALUES (?, 'missed')", i)).Version!.Value;
        }

        await GossipCluster.EventuallyAsync(() => a.Transport!.DroppedFrames >= 50, "a's broadcasts are lost in the partition");
        cluster.HealAll();
        // A returned member is synced with at once: stands in for the first timer's round.
        b.Gossip!.Tell(new PeerReturned(a.Id, a.Address!));

        await GossipCluster.EventuallyAsync(async () => await b.HasAllOfAsync(a.Id, head), "b has all of a's versions", TimeSpan.FromSeconds(20));
        Assert.True((await GossipCluster.StatsAsync(b)).SyncRoundsContinued >= 4);
        Assert.Equal(50, b.Count());
    }

    [Fact]
    public async Task A_session_deadline_moves_with_its_progress()
    {
        using var deadline = new CancellationTokenSource();
        // Three times the timeout with a frame every 50 ms: still running.
        var progress = new SessionProgress(deadline, TimeSpan.FromSeconds(1));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(3))
        {
            progress.Moved();
            Assert.False(deadline.IsCancellationRequested, $"cancelled at {clock.ElapsedMilliseconds} ms while frames moved");
            await Task.Delay(50);
        }

        // No more progress: cancelled within a deadline.
        await GossipCluster.EventuallyAsync(() => deadline.IsCancellationRequested, "the idle session is cancelled", TimeSpan.FromSeconds(5));
    }
}
