using Corrosion.Agent.Replication.Broadcast;
using static Corrosion.Agent.Tests.Replication.Planners.PlannerBuilders;

namespace Corrosion.Agent.Tests.Replication.Planners;

/// <summary>The broadcast's remembered payload ids after a burst (<see cref="BroadcastPlanner.ForgetSeen"/>).</summary>
public sealed class SeenPayloadsTests
{
    [Fact]
    public void Forget_seen_keeps_only_the_latest_ids_and_a_forgotten_id_is_new_again()
    {
        var planner = Broadcaster(members: 3);
        for (var version = 1; version <= 5_000; version++)
        {
            Assert.True(planner.MarkSeen(Payload(version))); // sync answers: seen, nothing pending
        }

        Assert.Equal(5_000, planner.SeenCount);

        Assert.Equal(5_000 - 100, planner.ForgetSeen(keep: 100));

        Assert.Equal(100, planner.SeenCount);
        Assert.True(planner.HasSeen(Payload(5_000)));
        Assert.True(planner.HasSeen(Payload(4_901)));
        Assert.False(planner.HasSeen(Payload(4_900)));
        Assert.False(planner.MarkSeen(Payload(4_950))); // still a duplicate
        Assert.True(planner.MarkSeen(Payload(1))); // forgotten: new again
        Assert.Equal(0, planner.ForgetSeen(keep: 200)); // fewer than that: nothing to forget
    }

    [Fact]
    public void Pending_payloads_are_dropped_on_release_only_while_no_member_is_live()
    {
        var withMembers = Broadcaster(BroadcastOptions.DefaultDirectMax + 1, new BroadcastOptions { Fanout = 3 });
        var alone = Broadcaster(members: 0);
        for (var version = 1; version <= 50; version++)
        {
            withMembers.Local(Payload(version), Data, nowMs: 0);
            alone.Local(Payload(version), Data, nowMs: 0);
        }

        Assert.Equal(50, withMembers.PendingCount);
        Assert.Equal(50, alone.PendingCount); // kept for members that are not there

        Assert.Equal(0, withMembers.DropPendingWhileAlone());
        Assert.Equal(50, alone.DropPendingWhileAlone());

        Assert.Equal(50, withMembers.PendingCount);
        Assert.Equal(0, alone.PendingCount);
        Assert.True(alone.HasSeen(Payload(50))); // still remembered: a copy coming back is a duplicate
        alone.MemberUp(NodeId(1), AddressOf(1));
        Assert.Empty(alone.Tick(nowMs: 10_000)); // nothing left to send: sync brings it to the new member
    }
}
