using Akka.Actor;
using Corrosion.Agent.Replication;
using Corrosion.Agent.Replication.Sync;

namespace Corrosion.Agent.Tests.Replication.Gossip;

/// <summary>
/// Cross-node back-pressure: a node closes its write gate while a live peer that reports how far it
/// has applied this node's versions trails by more than <see cref="GossipOptions.MaxPeerLagChanges"/>,
/// and opens it when the peer catches up, goes down, or stops reporting.
/// </summary>
public sealed class PeerLagBackPressureTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    // Sync only when told, so a peer that lost broadcasts stays behind until the test lets it catch up.
    private static readonly SyncOptions SyncWhenTold = new() { MinInterval = TimeSpan.FromMinutes(10), MaxInterval = TimeSpan.FromMinutes(10) };

    private static GossipOptions Gated(long maxLag = 5, TimeSpan? reportMaxAge = null) => new()
    {
        AppliedReportInterval = TimeSpan.FromMilliseconds(20),
        MaxPeerLagChanges = maxLag,
        PeerReportMaxAge = reportMaxAge ?? TimeSpan.FromMinutes(5),
        MaxWriteWait = TimeSpan.FromMinutes(1),
    };

    /// <summary>
    /// Two nodes; the peer applies (and reports) the origin's first row, then the origin's broadcasts to
    /// it are lost while the origin writes <paramref name="rows"/> more: the peer trails by their changes.
    /// </summary>
    private static async Task<(GossipNode Origin, GossipNode Peer)> TrailingPeerAsync(GossipCluster cluster, int rows = 10)
    {
        var nodes = await cluster.StartAsync(2);
        var (origin, peer) = (nodes[0], nodes[1]);
        await GossipCluster.WriteAsync(origin, "INSERT INTO items (id, name) VALUES (?, ?)", 0, "seen");
        await GossipCluster.EventuallyAsync(() => peer.Count() == 1, "the peer merged the first row", Deadline);
        origin.Transport!.Cut(peer.Address!);
        for (var i = 1; i <= rows; i++)
        {
            await GossipCluster.WriteAsync(origin, "INSERT INTO items (id, name) VALUES (?, ?)", i, "lost");
        }

        return (origin, peer);
    }

    [Fact]
    public async Task Writes_wait_while_a_peer_trails_and_go_when_it_catches_up()
    {
        await using var cluster = new GossipCluster { Options = Gated(), Sync = SyncWhenTold };
        var (origin, peer) = await TrailingPeerAsync(cluster);
        await GossipCluster.EventuallyAsync(() => !origin.Admission!.IsOpen, "the origin's gate closed", Deadline);
        Assert.True((await GossipCluster.StatsAsync(origin)).PeerLag > 5);
        var waiting = origin.Admission!.WaitAsync().AsTask();
        Assert.False(waiting.IsCompleted);

        origin.Transport!.HealAll();
        peer.Gossip!.Tell(SyncNow.Instance);

        await waiting.WaitAsync(Deadline);
        Assert.Equal(11, peer.Count());
        Assert.True(origin.Admission.IsOpen);
        Assert.Equal(0, origin.Admission.Counters.TimedOut);
    }

    [Fact]
    public async Task A_peer_that_goes_down_releases_the_writers()
    {
        await using var cluster = new GossipCluster { Options = Gated(), Sync = SyncWhenTold };
        var (origin, peer) = await TrailingPeerAsync(cluster);
        await GossipCluster.EventuallyAsync(() => !origin.Admission!.IsOpen, "the origin's gate closed", Deadline);
        var waiting = origin.Admission!.WaitAsync().AsTask();

        origin.Gossip!.Tell(new PeerDown(peer.Id));

        await waiting.WaitAsync(Deadline);
        Assert.True(origin.Admission.IsOpen);
        Assert.Equal(0, origin.Admission.Counters.TimedOut);
    }

    [Fact]
    public async Task A_peer_whose_reports_stop_no_longer_holds_the_writers()
    {
        // Alive as far as membership knows, but nothing comes from it any more (a one-way partition).
        await using var cluster = new GossipCluster { Options = Gated(reportMaxAge: TimeSpan.FromSeconds(2)), Sync = SyncWhenTold };
        var (origin, peer) = await TrailingPeerAsync(cluster);
        await GossipCluster.EventuallyAsync(() => !origin.Admission!.IsOpen, "the origin's gate closed", Deadline);
        var waiting = origin.Admission!.WaitAsync().AsTask();

        await waiting.WaitAsync(Deadline);

        Assert.True(origin.Admission.IsOpen);
        Assert.Equal(1, peer.Count());
        Assert.Equal(0, origin.Admission.Counters.TimedOut);
    }

    [Fact]
    public async Task A_stopped_gossip_actor_leaves_the_gate_open()
    {
        await using var cluster = new GossipCluster { Options = Gated(), Sync = SyncWhenTold };
        var (origin, _) = await TrailingPeerAsync(cluster);
        await GossipCluster.EventuallyAsync(() => !origin.Admission!.IsOpen, "the origin's gate closed", Deadline);

        await origin.Gossip!.Untyped.GracefulStop(Deadline);

        Assert.True(origin.Admission!.IsOpen);
    }

    [Fact]
    public async Task With_max_peer_lag_changes_0_writes_never_wait()
    {
        await using var cluster = new GossipCluster { Options = Gated(maxLag: 0), Sync = SyncWhenTold };
        var (origin, _) = await TrailingPeerAsync(cluster);

        // The lag is still tracked (and exported): the origin knows the peer trails, and lets writes go.
        await GossipCluster.EventuallyAsync(async () => (await GossipCluster.StatsAsync(origin)).PeerLag > 5, "the origin sees the peer trail", Deadline);
        Assert.True(origin.Admission!.IsOpen);
    }
}
