using Corrosion.Agent.Membership;
using Corrosion.Simulation;
using Corrosion.Simulation.Membership;

namespace Corrosion.Simulation.Tests;

public sealed class SwimScenarioTests
{
    private static SwimCluster Converged(int seed, int size, SwimOptions? options = null)
    {
        var cluster = new SwimCluster(seed, size, options ?? SwimOptions.Lan);
        cluster.StartConverged();
        cluster.RunFor(2_000);
        return cluster;
    }

    [Fact]
    public void Nodes_joining_through_one_seed_all_see_each_other_alive()
    {
        using var cluster = new SwimCluster(seed: 1, size: 20, SwimOptions.Lan);
        cluster.JoinAll(0);
        Assert.True(cluster.RunUntil(cluster.AllUpNodesSeeEachOtherAlive, 60_000), "cluster did not converge");
    }

    [Fact]
    public void Crashed_node_is_seen_down_by_all()
    {
        using var cluster = Converged(2, 30);
        cluster.Crash(7);
        var crashedAt = cluster.NowMs;
        Assert.True(cluster.RunUntil(() => cluster.AllSee(7, MemberState.Down), 60_000), "not everyone saw the crash");

        // Suspicion at n=30 lasts at most 4 x log10(30) x 1 s x 6; detection should be far quicker.
        Assert.InRange(cluster.NowMs - crashedAt, 1_000, 45_000);
        Assert.Equal(0, FalseDowns(cluster, except: 7));
    }

    [Fact]
    public void Partition_heals_and_both_sides_see_each_other_alive()
    {
        using var cluster = Converged(3, 20);
        var left = Enumerable.Range(0, 10).ToArray();
        var right = Enumerable.Range(10, 10).ToArray();
        cluster.Partition(left, right);
        Assert.True(cluster.RunUntil(() => left.All(l => right.All(r => cluster.StateAt(l, r) == MemberState.Down && cluster.StateAt(r, l) == MemberState.Down)), 120_000),
            "the sides did not declare each other down");

        cluster.Heal();
        Assert.True(cluster.RunUntil(cluster.AllUpNodesSeeEachOtherAlive, 120_000), "the sides did not merge after healing");
    }

    [Fact]
    public void Ten_percent_loss_and_a_slow_node_cause_no_false_downs_with_lifeguard()
    {
        using var cluster = Converged(4, 30);
        var downs = new List<SimNotification>();
        cluster.OnNotification = n =>
        {
            if (n.Kind == MemberNotificationKind.MemberDown)
            {
                downs.Add(n);
            }
        };
        cluster.Network.LossRate = 0.10;
        cluster.SetSlow(5, new LatencyDistribution(100, 600));
        cluster.RunFor(120_000);
        Assert.Empty(downs);
    }

    [Fact]
    public void Same_seed_gives_the_same_history()
    {
        Assert.Equal(RunHistory(11), RunHistory(11));
        Assert.NotEqual(RunHistory(11), RunHistory(12));
    }

    [Fact]
    public void Graceful_leave_is_seen_as_left_without_suspicion()
    {
        using var cluster = Converged(5, 15);
        var suspects = 0;
        cluster.OnNotification = n => suspects += n.Kind == MemberNotificationKind.MemberSuspect && n.Subject == 3 ? 1 : 0;
        cluster.Leave(3);
        Assert.True(cluster.RunUntil(() => cluster.AllSee(3, MemberState.Left), 10_000), "leave not seen by all");
        Assert.Equal(0, suspects);
    }

    [Fact]
    public void Restarted_node_replaces_its_old_identity_everywhere()
    {
        using var cluster = Converged(6, 15);
        var oldStart = cluster.Core(4).Identity.StartedAtMs;
        cluster.Crash(4);
        cluster.RunFor(500);
        cluster.Restart(4, 0);
        Assert.True(cluster.Core(4).Identity.StartedAtMs > oldStart);
        Assert.True(cluster.RunUntil(cluster.AllUpNodesSeeEachOtherAlive, 60_000), "restarted node not seen alive by all");
    }

    private static string RunHistory(int seed)
    {
        using var cluster = new SwimCluster(seed, 12, SwimOptions.Lan);
        cluster.Network.LossRate = 0.05;
        cluster.JoinAll(0);
        cluster.RunFor(20_000);
        cluster.Crash(3);
        cluster.RunFor(30_000);
        cluster.Restart(3, 1);
        cluster.RunFor(20_000);
        return cluster.Log.Hash();
    }

    private static int FalseDowns(SwimCluster cluster, int except) =>
        Enumerable.Range(0, cluster.Size).Where(s => s != except)
            .Sum(s => Enumerable.Range(0, cluster.Size).Count(o => o != s && cluster.IsUp(o) && cluster.StateAt(o, s) != MemberState.Alive));
}
