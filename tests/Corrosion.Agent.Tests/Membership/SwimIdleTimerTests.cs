using Corrosion.Agent.Membership;
using static Corrosion.Agent.Tests.Membership.SwimHarness;

namespace Corrosion.Agent.Tests.Membership;

/// <summary>
/// An idle node sets no gossip tick (it runs only while updates wait and a member can take them), and an
/// answered probe or relay cancels its timeout, so an idle member wakes for its probe period and little else.
/// </summary>
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

    [Fact]
    public void An_answered_probe_cancels_its_timeout()
    {
        var h = new SwimHarness().WithMembers(2);
        h.RunUntilNext(SwimTimerKind.ProbeTick);
        var (_, ping, _) = Assert.Single(h.SentOf(SwimMessageType.Ping));
        Assert.Contains(h.PendingTimers, t => t == new SwimTimer(SwimTimerKind.ProbeTimeout, ping.Sequence));

        h.RunFor(5);
        h.Receive(SwimMessageType.Ack, Identity(2), ping.Sequence);

        Assert.Equal([new SwimTimer(SwimTimerKind.ProbeTimeout, ping.Sequence)], h.TimersCancelled);
        Assert.DoesNotContain(h.PendingTimers, t => t.Kind == SwimTimerKind.ProbeTimeout);
    }

    [Fact]
    public void An_unanswered_probe_keeps_its_timeout_and_a_late_ack_cancels_nothing_twice()
    {
        var h = new SwimHarness().WithMembers(2, 3, 4);
        h.RunUntilNext(SwimTimerKind.ProbeTick);
        var (_, ping, _) = Assert.Single(h.SentOf(SwimMessageType.Ping));

        h.RunUntilNext(SwimTimerKind.ProbeTimeout);
        Assert.NotEmpty(h.SentOf(SwimMessageType.PingReq));
        Assert.Empty(h.TimersCancelled);

        // The ack through a relay still completes the probe; a second copy changes nothing.
        h.Receive(SwimMessageType.Ack, Identity(3), ping.Sequence);
        h.Receive(SwimMessageType.Ack, Identity(3), ping.Sequence);
        Assert.Single(h.TimersCancelled);
    }

    [Fact]
    public void An_answered_relay_cancels_its_nack_timer()
    {
        var h = new SwimHarness().WithMembers(2, 3);
        h.Receive(SwimMessageType.PingReq, Identity(2), 77, Address(3));
        var relayPing = h.SentOf(SwimMessageType.Ping).Single(p => p.To == Address(3));

        h.Receive(SwimMessageType.Ack, Identity(3), relayPing.Packet.Sequence);

        Assert.Contains(new SwimTimer(SwimTimerKind.RelayTimeout, relayPing.Packet.Sequence), h.TimersCancelled);
        Assert.DoesNotContain(h.PendingTimers, t => t.Kind == SwimTimerKind.RelayTimeout);
        h.RunFor(5_000);
        Assert.Empty(h.SentOf(SwimMessageType.Nack));
    }

    [Fact]
    public void An_idle_member_of_a_healthy_cluster_wakes_only_for_its_probe_period()
    {
        var h = new SwimHarness(SwimOptions.Lan with { ReconnectIntervalMs = 0 }).WithMembers(2, 3, 4);

        // Ten probe periods, each ping answered at once: one timer a period, the next probe tick.
        for (var period = 0; period < 10; period++)
        {
            h.RunUntilNext(SwimTimerKind.ProbeTick);
            var ping = h.SentOf(SwimMessageType.Ping).Last();
            h.Receive(SwimMessageType.Ack, Identity(ping.To == Address(2) ? 2 : ping.To == Address(3) ? 3 : 4), ping.Packet.Sequence);
        }

        Assert.Equal([SwimTimerKind.ProbeTick], h.PendingTimers.Select(t => t.Kind));
        Assert.Equal(10, h.TimersCancelled.Count(t => t.Kind == SwimTimerKind.ProbeTimeout));
    }
}
