using Corrosion.Agent.Membership;
using Corrosion.Simulation.Membership;

namespace Corrosion.Simulation.Tests;

/// <summary>
/// After a partition heals, every node hears that the members it held suspect or down are back (the
/// event that makes gossip sync with them at once), quickly and on virtual time; in a quiet cluster
/// nothing of the kind happens.
/// </summary>
public sealed class SwimHealTests
{
    /// <summary>Generous for the simulator's latencies; the real figure is measured by the chaos bench.</summary>
    private const long Bound = 2_000;

    [Theory]
    [InlineData(3, 21)]
    [InlineData(5, 22)]
    [InlineData(5, 23)]
    public void After_partitions_of_5_to_60_s_every_node_hears_each_member_it_held_unreachable_is_back_within_the_bound(int size, int seed)
    {
        using var cluster = new SwimCluster(seed, size, SwimOptions.Lan);
        cluster.StartConverged();
        cluster.RunFor(2_000);
        var returned = new List<SimNotification>();
        cluster.OnNotification = n =>
        {
            if (n.Kind == MemberNotificationKind.MemberUp && n.Member.Incarnation > 0)
            {
                returned.Add(n);
            }
        };
        var random = new Random(seed);
        var worst = 0L;
        foreach (var durationMs in new long[] { 5_000, 9_000, 14_000, 20_000, 33_000, 60_000 })
        {
            var minority = Enumerable.Range(0, size).OrderBy(_ => random.Next()).Take(random.Next(1, size / 2 + 1)).ToHashSet();
            var majority = Enumerable.Range(0, size).Where(n => !minority.Contains(n)).ToArray();
            cluster.Partition(minority, majority);
            cluster.RunFor(durationMs);

            var unreachable = (from o in Enumerable.Range(0, size)
                               from s in Enumerable.Range(0, size)
                               where o != s && cluster.StateAt(o, s) != MemberState.Alive
                               select (o, s)).ToList();
            Assert.NotEmpty(unreachable);
            returned.Clear();
            cluster.Heal();
            var healedAt = cluster.NowMs;
            Assert.True(cluster.RunUntil(() => unreachable.All(p => returned.Any(n => n.Observer == p.o && n.Subject == p.s)), 30_000),
                $"after a {durationMs} ms partition not every node heard its unreachable members back: missing {string.Join(", ", unreachable.Where(p => !returned.Any(n => n.Observer == p.o && n.Subject == p.s)))}");
            var last = unreachable.Max(p => returned.First(n => n.Observer == p.o && n.Subject == p.s).TimeMs) - healedAt;
            worst = Math.Max(worst, last);
            Assert.True(cluster.RunUntil(cluster.AllUpNodesSeeEachOtherAlive, 30_000), "membership did not heal");
            cluster.RunFor(5_000);
        }

        Assert.InRange(worst, 0, Bound);
    }

    [Fact]
    public void A_quiet_cluster_re_probes_no_one_and_reports_no_one_back()
    {
        using var cluster = new SwimCluster(24, 5, SwimOptions.Lan);
        cluster.StartConverged();
        var ups = 0;
        cluster.OnNotification = n => ups += n.Kind == MemberNotificationKind.MemberUp ? 1 : 0;

        cluster.RunFor(60_000);

        Assert.Equal(0, ups);
        Assert.Equal(0, Enumerable.Range(0, 5).Sum(n => cluster.Core(n).Counters.Reprobes));
    }

    [Fact]
    public void A_crashed_member_is_re_probed_at_most_once_per_reprobe_max_interval_until_forgotten()
    {
        using var cluster = new SwimCluster(25, 5, SwimOptions.Lan);
        cluster.StartConverged();
        cluster.RunFor(2_000);
        cluster.Crash(4);
        Assert.True(cluster.RunUntil(() => cluster.AllSee(4, MemberState.Down), 60_000));

        cluster.RunFor(SwimOptions.Lan.DownRetentionMs + 10_000);

        var perObserver = SwimOptions.Lan.DownRetentionMs / SwimOptions.Lan.ReprobeMaxIntervalMs + 4;
        Assert.InRange(Enumerable.Range(0, 4).Sum(n => cluster.Core(n).Counters.Reprobes), 4, 4 * perObserver);
        var before = Enumerable.Range(0, 4).Sum(n => cluster.Core(n).Counters.Reprobes);
        cluster.RunFor(30_000);
        Assert.Equal(before, Enumerable.Range(0, 4).Sum(n => cluster.Core(n).Counters.Reprobes));
    }
}
