using Corrosion.Agent.Membership;
using static Corrosion.Agent.Tests.Membership.SwimHarness;

namespace Corrosion.Agent.Tests.Membership;

/// <summary>Members held down are re-probed on a short doubling back-off, and a member that comes back is reported as returned.</summary>
public sealed class SwimReprobeTests
{
    private static readonly SwimOptions Options = SwimOptions.Lan with { ReprobeMinIntervalMs = 200, ReprobeMaxIntervalMs = 1_000 };

    [Fact]
    public void A_member_declared_down_is_pinged_after_the_short_minimum_then_with_doubling_pauses_up_to_the_interval()
    {
        var h = new SwimHarness(Options).WithMembers(2, 3);
        var downAt = h.Now;
        h.Receive(SwimMessageType.Gossip, Identity(3), updates: new MemberUpdate(Identity(2), MemberState.Down));
        Assert.Equal(MemberState.Down, h.StateOf(2));

        var pings = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            h.RunUntilNext(SwimTimerKind.Reprobe);
            var ping = Assert.Single(h.SentOf(SwimMessageType.Ping), p => p.To == Address(2));
            Assert.Contains(ping.Packet.Updates, u => u.Member.Address == Address(2) && u.State == MemberState.Down);
            pings.Add(h.Now - downAt);
            h.ClearOutputs();
        }

        Assert.Equal([200, 600, 1_400, 2_400, 3_400], pings);
        Assert.Equal(5, h.Swim.Counters.Reprobes);
    }

    [Fact]
    public void A_down_member_that_refutes_the_re_probe_is_reported_up_as_returned_and_no_longer_re_probed()
    {
        var h = new SwimHarness(Options).WithMembers(2, 3);
        h.Receive(SwimMessageType.Gossip, Identity(3), updates: new MemberUpdate(Identity(2), MemberState.Down));
        h.RunUntilNext(SwimTimerKind.Reprobe);
        var ping = h.SentOf(SwimMessageType.Ping).Single(p => p.To == Address(2));
        h.ClearOutputs();

        // Its ack carries the refutation: alive at a higher incarnation.
        h.Receive(SwimMessageType.Ack, Identity(2, incarnation: 1), ping.Packet.Sequence, default, new MemberUpdate(Identity(2, incarnation: 1), MemberState.Alive));

        var up = Assert.Single(h.Notifications);
        Assert.Equal((MemberNotificationKind.MemberUp, true, 1L), (up.Kind, up.Returned, up.Member.Incarnation));
        Assert.Equal(MemberState.Alive, h.StateOf(2));
        var reprobes = h.Swim.Counters.Reprobes;
        h.RunUntilNext(SwimTimerKind.Reprobe);
        Assert.Equal(reprobes, h.Swim.Counters.Reprobes);
    }

    [Fact]
    public void A_suspect_that_refutes_is_returned_but_a_member_seen_for_the_first_time_is_not()
    {
        var h = new SwimHarness(Options).WithMembers(2);
        Assert.All(h.Notifications, n => Assert.False(n.Returned));
        h.ClearOutputs();

        h.Receive(SwimMessageType.Gossip, Identity(3));
        Assert.False(Assert.Single(h.Notifications, n => n.Member.Address == Address(3)).Returned);

        h.Receive(SwimMessageType.Gossip, Identity(3), updates: new MemberUpdate(Identity(2), MemberState.Suspect, Address(3)));
        h.Receive(SwimMessageType.Gossip, Identity(2, incarnation: 1));
        var back = Assert.Single(h.Notifications, n => n.Member.Address == Address(2) && n.Kind != MemberNotificationKind.MemberSuspect);
        Assert.Equal((MemberNotificationKind.MemberUp, true), (back.Kind, back.Returned));
    }

    [Fact]
    public void A_new_life_at_a_known_address_is_returned()
    {
        var h = new SwimHarness(Options).WithMembers(2);
        h.ClearOutputs();

        h.Receive(SwimMessageType.Gossip, Identity(2, startedAt: 5_000));

        Assert.Contains(h.Notifications, n => n.Kind == MemberNotificationKind.MemberDown && n.Member.StartedAtMs == 1_000);
        Assert.Contains(h.Notifications, n => n.Kind == MemberNotificationKind.MemberUp && n.Returned && n.Member.StartedAtMs == 5_000);
    }

    [Fact]
    public void A_forgotten_member_is_no_longer_re_probed()
    {
        var h = new SwimHarness(Options with { DownRetentionMs = 5_000 }).WithMembers(2, 3);
        h.Receive(SwimMessageType.Gossip, Identity(3), updates: new MemberUpdate(Identity(2), MemberState.Down));
        h.RunFor(5_000);
        Assert.Null(h.StateOf(2));
        Assert.InRange(h.Swim.Counters.Reprobes, 4, 8);
        h.ClearOutputs();

        h.RunFor(10_000);
        Assert.DoesNotContain(h.Sent, s => s.To == Address(2));
    }

    [Fact]
    public void A_zero_reprobe_max_interval_turns_re_probing_off()
    {
        var h = new SwimHarness(Options with { ReprobeMaxIntervalMs = 0 }).WithMembers(2, 3);
        h.Receive(SwimMessageType.Gossip, Identity(3), updates: new MemberUpdate(Identity(2), MemberState.Down));

        h.RunFor(20_000);

        Assert.Equal(0, h.Swim.Counters.Reprobes);
        Assert.DoesNotContain(h.TimersSet, t => t.Timer.Kind == SwimTimerKind.Reprobe);
    }

    [Theory]
    [InlineData(0, 1_000)]
    [InlineData(2_000, 1_000)]
    public void Options_need_a_positive_minimum_no_longer_than_the_interval(long min, long max)
    {
        Assert.Throws<ArgumentException>(() => (SwimOptions.Lan with { ReprobeMinIntervalMs = min, ReprobeMaxIntervalMs = max }).Validate());
    }
}
