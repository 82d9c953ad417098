using Corrosion.Chaos.Nemesis;

namespace Corrosion.Chaos.Tests;

public sealed class NemesisPlanTests
{
    private static IReadOnlyList<FaultStep> Plan(int seed, int steps = 20) =>
        NemesisPlan.Generate(seed, nodes: 5, steps, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1));

    [Theory]
    [InlineData(1)]
    [InlineData(42)]
    [InlineData(20261206)]
    public void The_first_round_applies_every_kind_of_fault_once(int seed)
    {
        var kinds = Plan(seed).Take(Enum.GetValues<FaultKind>().Length).Select(s => s.Kind).ToList();

        Assert.Equal(Enum.GetValues<FaultKind>().Order(), kinds.Order());
    }

    [Fact]
    public void The_same_seed_gives_the_same_plan_and_another_seed_another()
    {
        Assert.Equal(Plan(7).Select(s => s.ToString()), Plan(7).Select(s => s.ToString()));
        Assert.NotEqual(Plan(7).Select(s => s.ToString()), Plan(8).Select(s => s.ToString()));
    }

    [Fact]
    public void Durations_stay_within_bounds_and_victims_are_one_or_two_distinct_nodes()
    {
        foreach (var step in Plan(3, steps: 200))
        {
            Assert.InRange(step.Duration, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(5));
            Assert.All(step.Victims, v => Assert.InRange(v, 0, 4));
            Assert.Equal(step.Victims.Count, step.Victims.Distinct().Count());
            if (step.Kind is FaultKind.KillRestart or FaultKind.Pause)
            {
                Assert.InRange(step.Victims.Count, 1, 2);
            }
        }
    }

    [Fact]
    public void Halves_cut_every_link_between_the_two_sides_and_none_inside()
    {
        var unreachable = NemesisPlan.Unreachable(5, [[0, 1], [2, 3, 4]]);

        Assert.Equal([2, 3, 4], unreachable[0].Order());
        Assert.Equal([0, 1], unreachable[3].Order());
    }

    [Fact]
    public void A_bridge_node_reaches_both_sides_which_cannot_reach_each_other()
    {
        var unreachable = NemesisPlan.Unreachable(5, [[0, 1, 2], [2, 3, 4]]);

        Assert.Empty(unreachable[2]);
        Assert.Equal([3, 4], unreachable[0].Order());
        Assert.Equal([0, 1], unreachable[4].Order());
    }

    [Fact]
    public void No_groups_means_no_partition()
    {
        Assert.All(NemesisPlan.Unreachable(5, []), Assert.Empty);
    }

    [Fact]
    public void Isolate_and_kill_never_kills_the_isolated_node()
    {
        foreach (var step in Plan(11, steps: 300).Where(s => s.Kind == FaultKind.IsolateAndKill))
        {
            Assert.DoesNotContain(step.Groups[0][0], step.Victims);
        }
    }
}
