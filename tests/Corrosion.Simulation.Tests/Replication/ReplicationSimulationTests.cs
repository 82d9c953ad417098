using Corrosion.Simulation.Replication;

namespace Corrosion.Simulation.Tests.Replication;

/// <summary>Broadcast plus sync with the real planners over a lossy simulated WAN.</summary>
public sealed class ReplicationSimulationTests
{
    private static ReplicationScenario Small(int seed) => new()
    {
        Seed = seed,
        Nodes = 50,
        Regions = 5,
        Changes = 20,
        LossRate = 0.05,
        DeadlineMs = 120_000,
    };

    [Fact]
    public void Every_node_gets_every_change_on_a_lossy_wan()
    {
        var report = new ReplicationSimulation(Small(seed: 3)).Run();

        Assert.Equal(20, report.FullyReplicatedMs.Count);
        Assert.True(report.AllReplicated, string.Join(",", report.FullyReplicatedMs));
        Assert.True(report.Lost > 0, "the network should have lost some messages");
    }

    [Fact]
    public void Same_seed_gives_the_same_run()
    {
        var first = new ReplicationSimulation(Small(seed: 9)).Run();
        var second = new ReplicationSimulation(Small(seed: 9)).Run();

        Assert.Equal(first.FullyReplicatedMs, second.FullyReplicatedMs);
        Assert.Equal(
            (first.BroadcastMessages, first.SyncMessages, first.DeliveredBySync, first.Lost, first.SimulatedMs),
            (second.BroadcastMessages, second.SyncMessages, second.DeliveredBySync, second.Lost, second.SimulatedMs));
    }

    [Fact]
    public void Sync_repairs_what_broadcast_never_delivered()
    {
        // No retransmissions and a tiny fanout: broadcast alone leaves nodes out; sync must fill them in.
        var scenario = Small(seed: 5) with
        {
            Broadcast = new Corrosion.Agent.Replication.Broadcast.BroadcastOptions { Fanout = 1, NearestRing = 0, RetransmitMult = 1 },
        };

        var report = new ReplicationSimulation(scenario).Run();

        Assert.True(report.AllReplicated, string.Join(",", report.FullyReplicatedMs));
        Assert.True(report.DeliveredBySync > 0);
    }
}
