using Corrosion.Agent.Membership;
using static Corrosion.Agent.Tests.Membership.SwimHarness;

namespace Corrosion.Agent.Tests.Membership;

public sealed class SwimProbeTests
{
    [Fact]
    public void Probe_tick_pings_a_member_and_its_ack_completes_the_probe()
    {
        var h = new SwimHarness().WithMembers(2);
        h.RunUntilNext(SwimTimerKind.ProbeTick);
        var (to, ping, _) = Assert.Single(h.SentOf(SwimMessageType.Ping));
        Assert.Equal(Address(2), to);

        h.RunFor(10);
        h.Receive(SwimMessageType.Ack, Identity(2), ping.Sequence);
        h.RunUntilNext(SwimTimerKind.ProbeTick);

        Assert.Empty(h.SentOf(SwimMessageType.PingReq));
        Assert.DoesNotContain(h.Notifications, n => n.Kind == MemberNotificationKind.MemberSuspect);
        Assert.Equal(MemberState.Alive, h.StateOf(2));
        Assert.True(h.Swim.TryGetMember(Address(2), out var info));
        Assert.Equal(10, info!.LastRttMs);
    }

    [Fact]
    public void Unanswered_ping_leads_to_ping_req_through_k_other_members()
    {
        var h = new SwimHarness().WithMembers(2, 3, 4, 5, 6);
        h.RunUntilNext(SwimTimerKind.ProbeTick);
        var (target, ping, _) = Assert.Single(h.SentOf(SwimMessageType.Ping));
        h.RunUntilNext(SwimTimerKind.ProbeTimeout);

        var requests = h.SentOf(SwimMessageType.PingReq).ToList();
        Assert.Equal(SwimOptions.DefaultIndirectProbes, requests.Count);
        Assert.All(requests, r =>
        {
            Assert.NotEqual(target, r.To);
            Assert.Equal(target, r.Packet.Target);
            Assert.Equal(ping.Sequence, r.Packet.Sequence);
        });
        Assert.Equal(3, requests.Select(r => r.To).Distinct().Count());
    }

    [Fact]
    public void No_ack_by_the_end_of_the_period_makes_the_target_suspect()
    {
        var h = new SwimHarness().WithMembers(2, 3);
        h.RunUntilNext(SwimTimerKind.ProbeTick);
        var target = h.SentOf(SwimMessageType.Ping).Single().To;
        h.RunUntilNext(SwimTimerKind.ProbeTick);

        var suspect = Assert.Single(h.Notifications, n => n.Kind == MemberNotificationKind.MemberSuspect);
        Assert.Equal(target, suspect.Member.Address);
        Assert.Contains(h.TimersSet, t => t.Timer.Kind == SwimTimerKind.SuspicionTimeout && t.Timer.Member == target);
    }

    [Fact]
    public void Ack_relayed_through_a_ping_req_counts_as_success()
    {
        var h = new SwimHarness().WithMembers(2, 3);
        h.RunUntilNext(SwimTimerKind.ProbeTick);
        var (target, ping, _) = h.SentOf(SwimMessageType.Ping).Single();
        h.RunUntilNext(SwimTimerKind.ProbeTimeout);
        var relay = h.SentOf(SwimMessageType.PingReq).Single().To;
        h.Receive(SwimMessageType.Ack, Identity(relay == Address(2) ? 2 : 3), ping.Sequence);
        h.RunUntilNext(SwimTimerKind.ProbeTick);

        Assert.DoesNotContain(h.Notifications, n => n.Kind == MemberNotificationKind.MemberSuspect);
        Assert.Equal(MemberState.Alive, h.StateOf(target == Address(2) ? 2 : 3));
    }

    [Fact]
    public void Ping_req_is_relayed_acked_back_and_nacked_when_the_target_is_silent()
    {
        var h = new SwimHarness().WithMembers(2, 3);
        h.Receive(SwimMessageType.PingReq, Identity(2), 77, Address(3));
        var relayPing = h.SentOf(SwimMessageType.Ping).Single(p => p.To == Address(3));
        h.Receive(SwimMessageType.Ack, Identity(3), relayPing.Packet.Sequence);
        var ack = h.SentOf(SwimMessageType.Ack).Single(p => p.To == Address(2));
        Assert.Equal(77u, ack.Packet.Sequence);

        h.ClearOutputs();
        h.Receive(SwimMessageType.PingReq, Identity(2), 78, Address(3));
        h.RunUntilNext(SwimTimerKind.RelayTimeout);
        var nack = h.SentOf(SwimMessageType.Nack).Single();
        Assert.Equal(Address(2), nack.To);
        Assert.Equal(78u, nack.Packet.Sequence);
    }

    [Fact]
    public void Suspicion_timeout_declares_the_member_down()
    {
        var h = new SwimHarness().WithMembers(2, 3);
        h.Receive(SwimMessageType.Gossip, Identity(3), updates: new MemberUpdate(Identity(2), MemberState.Suspect, Address(3)));
        Assert.Equal(MemberState.Suspect, h.StateOf(2));

        h.RunUntilNext(SwimTimerKind.SuspicionTimeout);

        Assert.Equal(MemberState.Down, h.StateOf(2));
        Assert.Contains(h.Notifications, n => n.Kind == MemberNotificationKind.MemberDown && n.Member.Address == Address(2));
    }

    [Fact]
    public void A_suspicion_timer_that_fires_early_is_set_again_for_the_rest_and_the_member_goes_down()
    {
        var h = new SwimHarness().WithMembers(2, 3);
        h.Receive(SwimMessageType.Gossip, Identity(3), updates: new MemberUpdate(Identity(2), MemberState.Suspect, Address(3)));
        var request = Assert.Single(h.TimersSet, t => t.Timer.Kind == SwimTimerKind.SuspicionTimeout);
        h.ClearOutputs();

        // The runtime's timer fires a millisecond before the deadline by the core's clock.
        h.Swim.HandleTimer(request.Timer, h.Now + request.DelayMs - 1, h);

        Assert.Equal(MemberState.Suspect, h.StateOf(2));
        var again = Assert.Single(h.TimersSet, t => t.Timer.Kind == SwimTimerKind.SuspicionTimeout);
        Assert.Equal(1, again.DelayMs);
        h.Swim.HandleTimer(again.Timer, h.Now + request.DelayMs, h);
        Assert.Equal(MemberState.Down, h.StateOf(2));
    }

    [Fact]
    public void Suspect_refutes_by_raising_its_incarnation()
    {
        var h = new SwimHarness().WithMembers(2);
        h.Receive(SwimMessageType.Gossip, Identity(2), updates: new MemberUpdate(h.Self, MemberState.Suspect, Address(2)));

        Assert.Equal(1, h.Swim.Identity.Incarnation);
        h.Receive(SwimMessageType.Ping, Identity(2), 5);
        var ack = h.SentOf(SwimMessageType.Ack).Single();
        Assert.Equal(1, ack.Packet.Sender.Incarnation);
        Assert.Contains(ack.Packet.Updates, u => u.Member.Address == h.Self.Address && u.State == MemberState.Alive && u.Member.Incarnation == 1);
    }

    [Fact]
    public void Alive_with_a_higher_incarnation_clears_suspicion()
    {
        var h = new SwimHarness().WithMembers(2, 3);
        h.Receive(SwimMessageType.Gossip, Identity(3), updates: new MemberUpdate(Identity(2), MemberState.Suspect, Address(3)));
        h.Receive(SwimMessageType.Gossip, Identity(2, incarnation: 1));

        Assert.Equal(MemberState.Alive, h.StateOf(2));
        Assert.Contains(h.Notifications, n => n.Kind == MemberNotificationKind.MemberUp && n.Member.Incarnation == 1);
        h.RunFor(200_000);
        Assert.NotEqual(MemberState.Down, h.StateOf(2));
    }

    [Fact]
    public void Alive_with_the_same_incarnation_does_not_clear_suspicion()
    {
        var h = new SwimHarness().WithMembers(2, 3);
        h.Receive(SwimMessageType.Gossip, Identity(3), updates: new MemberUpdate(Identity(2), MemberState.Suspect, Address(3)));
        h.Receive(SwimMessageType.Gossip, Identity(2));
        Assert.Equal(MemberState.Suspect, h.StateOf(2));
    }

    [Fact]
    public void Ping_to_a_suspect_carries_the_suspicion_first()
    {
        var h = new SwimHarness().WithMembers(2);
        h.Receive(SwimMessageType.Gossip, Identity(9), updates: new MemberUpdate(Identity(2), MemberState.Suspect, Address(9)));
        h.ClearOutputs();
        h.RunUntilNext(SwimTimerKind.ProbeTick);
        var ping = h.SentOf(SwimMessageType.Ping).Single(p => p.To == Address(2));
        var first = ping.Packet.Updates[0];
        Assert.Equal(MemberState.Suspect, first.State);
        Assert.Equal(Address(2), first.Member.Address);
    }
}
