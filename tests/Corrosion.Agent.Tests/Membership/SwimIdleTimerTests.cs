using Corrosion.Agent.Membership;
using static Corrosion.Agent.Tests.Membership.SwimHarness;

namespace Corrosion.Agent.Tests.Membership;

/// <summary>An idle node sets no gossip tick: it runs only while updates wait and a member can take them.</summary>
public sealed class SwimIdleTimerTests
{
    // Probes far apart, so that within a test nothing but the gossip tick and the update under test happens.
    private static readonly SwimOptions QuietProbes = SwimOptions.Lan with { ProbeIntervalMs = 600_000 };

    [Fact]
    public void A_node_alone_sets_no_gossip_tick()
    {
        var h = new SwimHarness();
        h.Swim.Join([], h.Now, h);
        h.RunFor(10_000);

        Assert.DoesNotContain(h.TimersSet, t => t.Timer.Kind == SwimTimerKind.GossipTick);
    }

    [Fact]
    public void Gossip_ticks_while_an_update_waits_and_stops_once_it_is_spread()
    {
        var h = new SwimHarness(QuietProbes).WithMembers(2, 3, 4);
        var firstProbe = h.TimersSet.Single(t => t.Timer.Kind == SwimTimerKind.ProbeTick);
        Assert.True(firstProbe.DelayMs > 30_000, "the seed must put the first probe after the test's horizon");
        Assert.DoesNotContain(h.TimersSet, t => t.Timer.Kind == SwimTimerKind.GossipTick);

        h.RunFor(1_050);
        h.Receive(SwimMessageType.Gossip, Identity(2), updates: new MemberUpdate(Identity(5), MemberState.Alive));

        // Armed on the grid of a free-running tick (multiples of the interval): 1,050 ms → due at 1,200 ms.
        var tick = h.TimersSet.Single(t => t.Timer.Kind == SwimTimerKind.GossipTick);
        Assert.Equal(150, tick.DelayMs);

        h.RunFor(5_000);
        Assert.Equal(0, h.Swim.PendingBroadcasts);
        Assert.Contains(h.SentOf(SwimMessageType.Gossip), s => s.Packet.Updates.Any(u => u.Member.Address == Address(5)));

        h.ClearOutputs();
        h.RunFor(10_000);
        Assert.DoesNotContain(h.TimersSet, t => t.Timer.Kind == SwimTimerKind.GossipTick);
        Assert.Empty(h.SentOf(SwimMessageType.Gossip));
    }
}
