using Corrosion.Agent.Membership;
using static Corrosion.Agent.Tests.Membership.SwimHarness;

namespace Corrosion.Agent.Tests.Membership;

public sealed class SwimLifeguardTests
{
    [Fact]
    public void Local_health_rises_on_failed_probes_and_stretches_the_probe_period()
    {
        var h = new SwimHarness().WithMembers(2, 3, 4, 5);
        h.RunUntilNext(SwimTimerKind.ProbeTick);
        h.RunUntilNext(SwimTimerKind.ProbeTick);
        h.RunUntilNext(SwimTimerKind.ProbeTick);

        Assert.True(h.Swim.LocalHealth >= 2, $"LHM {h.Swim.LocalHealth}");
        Assert.Equal(SwimOptions.DefaultProbeIntervalMs * (1 + h.Swim.LocalHealth), h.Swim.CurrentProbeIntervalMs);
        Assert.Equal(SwimOptions.DefaultProbeTimeoutMs * (1 + h.Swim.LocalHealth), h.Swim.CurrentProbeTimeoutMs);
        var lastTick = h.TimersSet.Last(t => t.Timer.Kind == SwimTimerKind.ProbeTick);
        Assert.Equal(h.Swim.CurrentProbeIntervalMs, lastTick.DelayMs);
    }

    [Fact]
    public void Local_health_falls_on_acks()
    {
        var h = new SwimHarness().WithMembers(2, 3, 4, 5);
        h.RunUntilNext(SwimTimerKind.ProbeTick);
        h.RunUntilNext(SwimTimerKind.ProbeTick);
        var raised = h.Swim.LocalHealth;
        Assert.True(raised > 0);

        for (var i = 0; i < 10; i++)
        {
            var ping = h.SentOf(SwimMessageType.Ping).Last();
            h.Receive(SwimMessageType.Ack, Identity(ping.To.Host.GetAddressBytes()[3]), ping.Packet.Sequence);
            h.RunUntilNext(SwimTimerKind.ProbeTick);
        }

        Assert.True(h.Swim.LocalHealth < raised, $"LHM {h.Swim.LocalHealth} not below {raised}");
    }

    [Fact]
    public void Refuting_a_suspicion_raises_local_health()
    {
        var h = new SwimHarness().WithMembers(2);
        h.Receive(SwimMessageType.Gossip, Identity(2), updates: new MemberUpdate(h.Self, MemberState.Suspect, Address(2)));
        Assert.Equal(1, h.Swim.LocalHealth);
    }

    [Fact]
    public void Missing_nacks_raise_local_health_more_than_received_nacks()
    {
        static int AfterFailedProbe(bool nacksArrive)
        {
            var h = new SwimHarness().WithMembers(2, 3, 4, 5, 6);
            h.RunUntilNext(SwimTimerKind.ProbeTick);
            h.RunUntilNext(SwimTimerKind.ProbeTimeout);
            if (nacksArrive)
            {
                foreach (var req in h.SentOf(SwimMessageType.PingReq).ToList())
                {
                    h.Receive(SwimMessageType.Nack, Identity(req.To.Host.GetAddressBytes()[3]), req.Packet.Sequence);
                }
            }

            h.RunUntilNext(SwimTimerKind.ProbeTick);
            return h.Swim.LocalHealth;
        }

        Assert.Equal(0, AfterFailedProbe(nacksArrive: true));
        Assert.Equal(SwimOptions.DefaultIndirectProbes, AfterFailedProbe(nacksArrive: false));
    }

    [Fact]
    public void Suspicion_timeout_starts_at_max_and_shrinks_with_independent_confirmations_to_min()
    {
        var h = new SwimHarness().WithMembers(Enumerable.Range(2, 10).ToArray());
        h.Receive(SwimMessageType.Gossip, Identity(3), updates: new MemberUpdate(Identity(2), MemberState.Suspect, Address(3)));
        var n = 11;
        var min = (long)(SwimOptions.DefaultSuspicionMult * Math.Log10(n) * SwimOptions.DefaultProbeIntervalMs);
        var max = min * SwimOptions.DefaultSuspicionMaxTimeoutMult;
        var first = h.TimersSet.Last(t => t.Timer.Kind == SwimTimerKind.SuspicionTimeout);
        Assert.Equal(max, first.DelayMs);

        h.Receive(SwimMessageType.Gossip, Identity(4), updates: new MemberUpdate(Identity(2), MemberState.Suspect, Address(4)));
        var second = h.TimersSet.Last(t => t.Timer.Kind == SwimTimerKind.SuspicionTimeout);
        Assert.InRange(second.DelayMs, min + 1, max - 1);

        // The same confirmer again does not count.
        var count = h.TimersSet.Count;
        h.Receive(SwimMessageType.Gossip, Identity(4), updates: new MemberUpdate(Identity(2), MemberState.Suspect, Address(4)));
        Assert.Equal(count, h.TimersSet.Count);

        h.Receive(SwimMessageType.Gossip, Identity(5), updates: new MemberUpdate(Identity(2), MemberState.Suspect, Address(5)));
        var third = h.TimersSet.Last(t => t.Timer.Kind == SwimTimerKind.SuspicionTimeout);
        Assert.Equal(min, third.DelayMs);

        h.RunUntil(min - 1);
        Assert.Equal(MemberState.Suspect, h.StateOf(2));
        h.RunUntil(min);
        Assert.Equal(MemberState.Down, h.StateOf(2));
    }

    [Fact]
    public void Without_lifeguard_suspicion_lasts_the_minimum_and_local_health_stays_zero()
    {
        var h = new SwimHarness(SwimOptions.Lan with { LifeguardEnabled = false }).WithMembers(Enumerable.Range(2, 10).ToArray());
        h.Receive(SwimMessageType.Gossip, Identity(3), updates: new MemberUpdate(Identity(2), MemberState.Suspect, Address(3)));
        var min = (long)(SwimOptions.DefaultSuspicionMult * Math.Log10(11) * SwimOptions.DefaultProbeIntervalMs);
        Assert.Equal(min, h.TimersSet.Last(t => t.Timer.Kind == SwimTimerKind.SuspicionTimeout).DelayMs);

        h.RunUntilNext(SwimTimerKind.ProbeTick);
        h.RunUntilNext(SwimTimerKind.ProbeTick);
        Assert.Equal(0, h.Swim.LocalHealth);
        Assert.Equal(SwimOptions.DefaultProbeIntervalMs, h.Swim.CurrentProbeIntervalMs);
    }
}
