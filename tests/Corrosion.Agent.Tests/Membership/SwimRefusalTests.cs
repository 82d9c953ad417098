using Corrosion.Agent.Membership;
using static Corrosion.Agent.Tests.Membership.SwimHarness;

namespace Corrosion.Agent.Tests.Membership;

/// <summary>A datagram refused by the member's host (ICMP port unreachable: its process is gone) fails the probe at once.</summary>
public sealed class SwimRefusalTests
{
    [Fact]
    public void Refused_probe_makes_the_target_suspect_at_once_without_indirect_probes()
    {
        var h = new SwimHarness().WithMembers(2, 3, 4, 5);
        h.RunUntilNext(SwimTimerKind.ProbeTick);
        var (target, ping, _) = Assert.Single(h.SentOf(SwimMessageType.Ping));
        var pingedAt = h.Now;

        h.RunFor(1);
        h.Swim.HandleRefused(target, h.Now, h);

        var suspect = Assert.Single(h.Notifications, n => n.Kind == MemberNotificationKind.MemberSuspect);
        Assert.Equal(target, suspect.Member.Address);
        Assert.Equal(pingedAt + 1, h.Now);
        Assert.Contains(new SwimTimer(SwimTimerKind.ProbeTimeout, ping.Sequence), h.TimersCancelled);
        Assert.Equal(1, h.Swim.Counters.FailedProbes);

        // The probe is over: no relays are asked, and our own network is not blamed (local health stays 0).
        h.RunUntilNext(SwimTimerKind.ProbeTick);
        Assert.Empty(h.SentOf(SwimMessageType.PingReq));
        Assert.Equal(0, h.Swim.LocalHealth);
        Assert.Equal(1, h.Swim.Counters.FailedProbes);
        Assert.Equal(1, h.Swim.Counters.Refusals);
    }

    [Fact]
    public void Without_the_refusal_the_same_probe_waits_out_the_period()
    {
        var h = new SwimHarness().WithMembers(2, 3, 4, 5);
        h.RunUntilNext(SwimTimerKind.ProbeTick);
        var pingedAt = h.Now;

        h.RunUntilNext(SwimTimerKind.ProbeTick);

        Assert.Single(h.Notifications, n => n.Kind == MemberNotificationKind.MemberSuspect);
        Assert.Equal(pingedAt + SwimOptions.DefaultProbeIntervalMs, h.Now);
    }

    [Fact]
    public void Refusals_are_ignored_when_switched_off()
    {
        var h = new SwimHarness(SwimOptions.Lan with { RefusedIsFailedProbe = false }).WithMembers(2, 3, 4, 5);
        h.RunUntilNext(SwimTimerKind.ProbeTick);
        var (target, _, _) = Assert.Single(h.SentOf(SwimMessageType.Ping));

        h.Swim.HandleRefused(target, h.Now, h);

        Assert.DoesNotContain(h.Notifications, n => n.Kind == MemberNotificationKind.MemberSuspect);
        Assert.Equal(MemberState.Alive, h.StateOf(target.Host.GetAddressBytes()[3]));
        Assert.Equal(0, h.Swim.Counters.Refusals);
    }

    [Fact]
    public void Refused_relayed_ping_is_nacked_to_the_origin_at_once()
    {
        var h = new SwimHarness().WithMembers(2, 3);
        h.Receive(SwimMessageType.PingReq, Identity(2), 77, Address(3));
        var relayPing = h.SentOf(SwimMessageType.Ping).Single(p => p.To == Address(3));
        h.ClearOutputs();

        h.Swim.HandleRefused(Address(3), h.Now, h);

        var nack = Assert.Single(h.SentOf(SwimMessageType.Nack));
        Assert.Equal(Address(2), nack.To);
        Assert.Equal(77u, nack.Packet.Sequence);
        Assert.Contains(new SwimTimer(SwimTimerKind.RelayTimeout, relayPing.Packet.Sequence), h.TimersCancelled);

        // The relay's own timeout does not nack a second time.
        h.RunFor(SwimOptions.DefaultProbeTimeoutMs);
        Assert.Single(h.SentOf(SwimMessageType.Nack));
    }

    [Fact]
    public void Refusal_from_a_suspect_member_is_an_independent_confirmation()
    {
        var h = new SwimHarness().WithMembers(2, 3, 4, 5, 6, 7, 8, 9, 10);
        h.Receive(SwimMessageType.Gossip, Identity(2), 0, default, new MemberUpdate(Identity(3), MemberState.Suspect, Address(4)));
        Assert.Equal(MemberState.Suspect, h.StateOf(3));
        var before = h.TimersSet.Last(t => t.Timer.Kind == SwimTimerKind.SuspicionTimeout && t.Timer.Member == Address(3)).DelayMs;

        h.Swim.HandleRefused(Address(3), h.Now, h);

        var after = h.TimersSet.Last(t => t.Timer.Kind == SwimTimerKind.SuspicionTimeout && t.Timer.Member == Address(3)).DelayMs;
        Assert.True(after < before, $"suspicion timeout {after} ms should be shorter than {before} ms after our own confirmation");
    }

    [Fact]
    public void Refusal_of_a_member_held_down_changes_nothing()
    {
        var h = new SwimHarness().WithMembers(2, 3);
        h.Receive(SwimMessageType.Gossip, Identity(2), 0, default, new MemberUpdate(Identity(3), MemberState.Down));
        h.ClearOutputs();

        h.Swim.HandleRefused(Address(3), h.Now, h);

        Assert.Empty(h.Notifications);
        Assert.Equal(MemberState.Down, h.StateOf(3));
    }
}
