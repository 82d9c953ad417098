using Corrosion.Agent.Membership;
using static Corrosion.Agent.Tests.Membership.SwimHarness;

namespace Corrosion.Agent.Tests.Membership;

public sealed class SwimMembershipRulesTests
{
    [Fact]
    public void Join_announces_to_bootstrap_addresses_except_its_own_and_retries_until_answered()
    {
        var h = new SwimHarness();
        h.Swim.Join([Address(1), Address(2), Address(3)], h.Now, h);
        Assert.Equal([Address(2), Address(3)], h.SentOf(SwimMessageType.Announce).Select(s => s.To).OrderBy(a => a.ToString()));

        h.ClearOutputs();
        h.RunUntilNext(SwimTimerKind.JoinRetry);
        Assert.Equal(2, h.SentOf(SwimMessageType.Announce).Count());

        h.Receive(SwimMessageType.Feed, Identity(2), updates: new MemberUpdate(Identity(4), MemberState.Alive));
        Assert.Equal(MemberState.Alive, h.StateOf(2));
        Assert.Equal(MemberState.Alive, h.StateOf(4));
        h.ClearOutputs();
        h.RunFor(8_000);
        Assert.Empty(h.SentOf(SwimMessageType.Announce));
    }

    [Fact]
    public void Announce_is_answered_with_a_feed_of_members()
    {
        var h = new SwimHarness().WithMembers(2, 3, 4);
        h.Receive(SwimMessageType.Announce, Identity(9));
        var feed = h.SentOf(SwimMessageType.Feed).Single();
        Assert.Equal(Address(9), feed.To);
        Assert.Superset(new HashSet<NodeAddress> { Address(2), Address(3), Address(4) }, feed.Packet.Updates.Select(u => u.Member.Address).ToHashSet());
        Assert.Equal(MemberState.Alive, h.StateOf(9));
    }

    [Fact]
    public void Made_up_members_beyond_max_members_are_refused_and_counted_and_a_live_newcomer_replaces_the_oldest_down_member()
    {
        var h = new SwimHarness(SwimOptions.Lan with { MaxMembers = 3 }).WithMembers(2, 3, 4);

        // A stranger that knows the cluster id announces made-up members, a few per packet.
        for (var first = 100; first < 160; first += 5)
        {
            h.Receive(SwimMessageType.Gossip, Identity(9), updates: Enumerable.Range(first, 5).Select(n => new MemberUpdate(Identity(n), n % 2 == 0 ? MemberState.Alive : MemberState.Down)).ToArray());
        }

        Assert.Equal(3, h.Swim.Members.Count);
        Assert.Equal([MemberState.Alive, MemberState.Alive, MemberState.Alive], new[] { h.StateOf(2), h.StateOf(3), h.StateOf(4) });
        Assert.Null(h.StateOf(9));
        Assert.Equal(72, h.Swim.Counters.MembersRefused); // 60 made-up members, and the stranger itself once per packet (12)

        // Down members only guard against stale rumours: a real newcomer takes the oldest one's place.
        h.Receive(SwimMessageType.Gossip, Identity(2), updates: new MemberUpdate(Identity(3), MemberState.Down));
        h.Receive(SwimMessageType.Gossip, Identity(2), updates: new MemberUpdate(Identity(5), MemberState.Alive));
        Assert.Equal(MemberState.Alive, h.StateOf(5));
        Assert.Null(h.StateOf(3));
        Assert.Equal(3, h.Swim.Members.Count);

        // A down rumour about an unknown member does not push out anyone.
        h.Receive(SwimMessageType.Gossip, Identity(2), updates: new MemberUpdate(Identity(6), MemberState.Down));
        Assert.Null(h.StateOf(6));
        Assert.Equal(73, h.Swim.Counters.MembersRefused);
    }

    [Fact]
    public void Left_rumour_marks_the_member_left_at_once_without_suspicion()
    {
        var h = new SwimHarness().WithMembers(2, 3);
        h.ClearOutputs();
        h.Receive(SwimMessageType.Gossip, Identity(3), updates: new MemberUpdate(Identity(2), MemberState.Left));
        Assert.Equal(MemberState.Left, h.StateOf(2));
        Assert.Equal(MemberNotificationKind.MemberLeft, Assert.Single(h.Notifications).Kind);

        // A stale alive rumour of that life does not bring it back.
        h.Receive(SwimMessageType.Gossip, Identity(3), updates: new MemberUpdate(Identity(2, incarnation: 5), MemberState.Alive));
        Assert.Equal(MemberState.Left, h.StateOf(2));
    }

    [Fact]
    public void Leave_tells_members_and_then_ignores_input()
    {
        var h = new SwimHarness().WithMembers(2, 3, 4);
        h.Swim.Leave(h.Now, h);
        var gossip = h.SentOf(SwimMessageType.Gossip).ToList();
        Assert.Equal(3, gossip.Count);
        Assert.All(gossip, g => Assert.Contains(g.Packet.Updates, u => u.Member.Address == h.Self.Address && u.State == MemberState.Left));

        h.ClearOutputs();
        h.Receive(SwimMessageType.Ping, Identity(2), 1);
        h.RunFor(10_000);
        Assert.Empty(h.Sent);
        Assert.Equal(1, h.Swim.Counters.Rejected(PacketRejectReason.AfterLeave));
    }

    [Fact]
    public void Restart_with_a_newer_start_time_replaces_the_old_identity()
    {
        var h = new SwimHarness().WithMembers(2);
        var reborn = Identity(2, startedAt: 5_000);
        h.Receive(SwimMessageType.Ping, reborn, 1);

        Assert.True(h.Swim.TryGetMember(Address(2), out var info));
        Assert.Equal(5_000, info!.Identity.StartedAtMs);
        Assert.Equal(MemberState.Alive, info.State);
        Assert.Contains(h.Notifications, n => n.Kind == MemberNotificationKind.MemberDown && n.Member.StartedAtMs == 1_000);
        Assert.Contains(h.Notifications, n => n.Kind == MemberNotificationKind.MemberUp && n.Member.StartedAtMs == 5_000);

        // Rumours about the old life are now stale, whatever their incarnation.
        var stale = h.Swim.Counters.StaleUpdates;
        h.Receive(SwimMessageType.Gossip, Identity(3), updates: new MemberUpdate(Identity(2, incarnation: 9), MemberState.Suspect, Address(3)));
        Assert.Equal(MemberState.Alive, h.StateOf(2));
        Assert.True(h.Swim.Counters.StaleUpdates > stale);
    }

    [Fact]
    public void Packets_from_another_cluster_are_ignored_and_counted()
    {
        var h = new SwimHarness().WithMembers(2);
        h.Receive(SwimMessageType.Ping, Identity(7, clusterId: 2), 1);
        Assert.Null(h.StateOf(7));
        Assert.Empty(h.Sent);
        Assert.Equal(1, h.Swim.Counters.Rejected(PacketRejectReason.ForeignCluster));
    }

    [Fact]
    public void Down_members_are_remembered_then_forgotten()
    {
        var h = new SwimHarness().WithMembers(2, 3);
        h.Receive(SwimMessageType.Gossip, Identity(3), updates: new MemberUpdate(Identity(2), MemberState.Down));
        Assert.Equal(MemberState.Down, h.StateOf(2));

        h.Receive(SwimMessageType.Gossip, Identity(3), updates: new MemberUpdate(Identity(2), MemberState.Alive));
        Assert.Equal(MemberState.Down, h.StateOf(2));

        h.RunFor(SwimOptions.DefaultDownRetentionMs + 1);
        Assert.Null(h.StateOf(2));
    }

    [Fact]
    public void Member_wrongly_held_down_refutes_when_told_and_comes_back()
    {
        var h = new SwimHarness().WithMembers(2, 3);
        h.Receive(SwimMessageType.Gossip, Identity(3), updates: new MemberUpdate(Identity(2), MemberState.Down));
        h.ClearOutputs();
        h.Receive(SwimMessageType.Gossip, Identity(2));
        var told = h.Sent.Single(s => s.To == Address(2));
        Assert.Contains(told.Packet.Updates, u => u.Member.Address == Address(2) && u.State == MemberState.Down);

        h.Receive(SwimMessageType.Gossip, Identity(2, incarnation: 1));
        Assert.Equal(MemberState.Alive, h.StateOf(2));
    }

    [Fact]
    public void Piggybacked_update_is_sent_at_most_the_retransmit_limit()
    {
        var h = new SwimHarness(SwimOptions.Lan with { GossipIntervalMs = 0 }).WithMembers(2, 3, 4);
        h.Receive(SwimMessageType.Gossip, Identity(3), updates: new MemberUpdate(Identity(4), MemberState.Suspect, Address(3)));
        for (var i = 0; i < 40; i++)
        {
            h.Receive(SwimMessageType.Ping, Identity(2), (uint)i);
        }

        // n = 4 members: limit = 4 × ceil(log10(5)) = 4.
        var carried = h.SentOf(SwimMessageType.Ack).Count(a => a.Packet.Updates.Any(u => u.Member.Address == Address(4)));
        Assert.Equal(SwimOptions.DefaultRetransmitMult * (int)Math.Ceiling(Math.Log10(5)), carried);
    }

    [Fact]
    public void Newest_and_least_sent_updates_go_first()
    {
        var h = new SwimHarness(SwimOptions.Lan with { GossipIntervalMs = 0 }).WithMembers(2);
        h.Receive(SwimMessageType.Gossip, Identity(2), updates: new MemberUpdate(Identity(5), MemberState.Alive));
        h.Receive(SwimMessageType.Ping, Identity(2), 1);
        h.Receive(SwimMessageType.Gossip, Identity(2), updates: new MemberUpdate(Identity(6), MemberState.Alive));
        h.Receive(SwimMessageType.Ping, Identity(2), 2);
        var second = h.SentOf(SwimMessageType.Ack).Last().Packet.Updates;
        Assert.Equal(Address(6), second[0].Member.Address);
    }

    [Theory]
    [InlineData(1400)]
    [InlineData(512)]
    public void Packets_never_exceed_the_size_bound(int maxPacketSize)
    {
        var h = new SwimHarness(SwimOptions.Lan with { MaxPacketSize = maxPacketSize }).WithMembers(2);
        var updates = Enumerable.Range(10, 200).Select(n => new MemberUpdate(Identity(n), MemberState.Alive)).ToArray();
        for (var i = 0; i < updates.Length; i += 20)
        {
            h.Receive(SwimMessageType.Gossip, Identity(2), updates: updates[i..(i + 20)]);
        }

        h.Receive(SwimMessageType.Announce, Identity(3));
        h.Receive(SwimMessageType.Ping, Identity(2), 1);
        h.RunFor(5_000);
        Assert.NotEmpty(h.Sent);
        Assert.All(h.Sent, s => Assert.InRange(s.Size, 1, maxPacketSize));
        Assert.True(h.Sent.Max(s => s.Size) > maxPacketSize - 100, "packets should be filled close to the bound");
    }
}
