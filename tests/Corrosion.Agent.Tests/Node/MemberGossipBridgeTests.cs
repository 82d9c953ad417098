using System.Net;
using Akka.TestKit;
using Corrosion.Agent.Actors;
using Corrosion.Agent.Membership;
using Corrosion.Agent.Node;
using Corrosion.Agent.Replication;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Tests.Support;

namespace Corrosion.Agent.Tests.Node;

/// <summary>The bridge's protocol through probes standing in for membership and gossip, on virtual time (it has no timer).</summary>
public sealed class MemberGossipBridgeTests : NodeTestKit
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly MemberIdentity Self = Member(1);

    public MemberGossipBridgeTests()
        : base(config: VirtualTime)
    {
    }

    [Fact]
    public void Member_events_become_peers_of_gossip()
    {
        var (membership, gossip) = StartBridge();
        var subscriber = membership.ExpectMsg<SubscribeMembers>(Timeout).Subscriber;

        subscriber.Tell(new MemberEvent(MemberNotificationKind.MemberUp, Member(2), Sequence: 1));
        subscriber.Tell(new MemberEvent(MemberNotificationKind.MemberSuspect, Member(2), Sequence: 2));
        subscriber.Tell(new MemberEvent(MemberNotificationKind.MemberLeft, Member(3), Sequence: 3));

        Assert.Equal(new PeerUp(Member(2).Id, Member(2).Address.ToEndPoint()), gossip.ExpectMsg<PeerUp>(Timeout));
        Assert.Equal(new PeerDown(Member(3).Id), gossip.ExpectMsg<PeerDown>(Timeout));
        gossip.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void A_member_that_came_back_becomes_a_returned_peer_of_gossip()
    {
        var (membership, gossip) = StartBridge();
        var subscriber = membership.ExpectMsg<SubscribeMembers>(Timeout).Subscriber;

        subscriber.Tell(new MemberEvent(MemberNotificationKind.MemberUp, Member(2), Returned: true, Sequence: 1));

        Assert.Equal(new PeerReturned(Member(2).Id, Member(2).Address.ToEndPoint()), gossip.ExpectMsg<PeerReturned>(Timeout));
    }

    [Fact]
    public void An_idle_bridge_reads_nothing_and_sets_no_timer()
    {
        var (membership, _) = StartBridge();
        var subscriber = membership.ExpectMsg<SubscribeMembers>(Timeout).Subscriber;
        subscriber.Tell(new MemberEvent(MemberNotificationKind.MemberUp, Member(2), Sequence: 1));
        subscriber.Tell(new MemberEvent(MemberNotificationKind.MemberUp, Member(3), Sequence: 2));

        // An hour of virtual time: no member list is asked for while the events come without a gap.
        Scheduler.Advance(TimeSpan.FromHours(1));

        membership.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void A_gap_in_the_event_numbers_makes_the_bridge_announce_the_member_list()
    {
        var (membership, gossip) = StartBridge();
        var subscriber = membership.ExpectMsg<SubscribeMembers>(Timeout).Subscriber;
        subscriber.Tell(new MemberEvent(MemberNotificationKind.MemberUp, Member(2), Sequence: 1));
        Assert.Equal(Member(2).Id, gossip.ExpectMsg<PeerUp>(Timeout).Id);

        // Events 2 and 3 were dropped by the full mailbox (Member(3) went down, Member(4) came up); 4 arrives.
        subscriber.Tell(new MemberEvent(MemberNotificationKind.MemberSuspect, Member(2), Sequence: 4));

        var ask = membership.ExpectMsg<GetMembers>(Timeout);
        ask.ReplyTo.Tell(new MembersSnapshot(
            new MemberInfo(Self, MemberState.Alive, null),
            [new MemberInfo(Member(2), MemberState.Suspect, 3), new MemberInfo(Member(3), MemberState.Down, null), new MemberInfo(Member(4), MemberState.Alive, null)],
            PacketsReceived: 0,
            PacketsRejected: 0));
        Assert.Equal(Member(2).Id, gossip.ExpectMsg<PeerUp>(Timeout).Id);
        Assert.Equal(Member(3).Id, gossip.ExpectMsg<PeerDown>(Timeout).Id);
        Assert.Equal(Member(4).Id, gossip.ExpectMsg<PeerUp>(Timeout).Id);

        // Numbering goes on from the event that showed the gap: 5 is no gap.
        subscriber.Tell(new MemberEvent(MemberNotificationKind.MemberUp, Member(5), Sequence: 5));
        Assert.Equal(Member(5).Id, gossip.ExpectMsg<PeerUp>(Timeout).Id);
        membership.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void A_resync_subscribes_again_and_announces_the_member_list()
    {
        var (membership, gossip, bridge) = StartBridgeWithRef();
        membership.ExpectMsg<SubscribeMembers>(Timeout);

        bridge.Tell(MemberGossipBridge.ResyncMembers.Instance, Akka.Actor.ActorRefs.NoSender);

        var subscriber = membership.ExpectMsg<SubscribeMembers>(Timeout).Subscriber;
        var ask = membership.ExpectMsg<GetMembers>(Timeout);
        ask.ReplyTo.Tell(new MembersSnapshot(new MemberInfo(Self, MemberState.Alive, null), [new MemberInfo(Member(2), MemberState.Alive, null)], 0, 0));
        Assert.Equal(Member(2).Id, gossip.ExpectMsg<PeerUp>(Timeout).Id);

        // The new subscription numbers from 1 again: no gap.
        subscriber.Tell(new MemberEvent(MemberNotificationKind.MemberUp, Member(3), Sequence: 1));
        Assert.Equal(Member(3).Id, gossip.ExpectMsg<PeerUp>(Timeout).Id);
        membership.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    private TestScheduler Scheduler => (TestScheduler)Sys.Scheduler;

    private (TestProbe Membership, TestProbe Gossip) StartBridge()
    {
        var (membership, gossip, _) = StartBridgeWithRef();
        return (membership, gossip);
    }

    private (TestProbe Membership, TestProbe Gossip, Akka.Actor.IActorRef Bridge) StartBridgeWithRef()
    {
        var membership = CreateTestProbe();
        var gossip = CreateTestProbe();
        var bridge = Sys.ActorOf(MemberGossipBridge.Props(membership.Ref.Typed<MembershipCommand>(), gossip.Ref.Typed<GossipCommand>()), "bridge");
        return (membership, gossip, bridge);
    }

    private static MemberIdentity Member(int n) =>
        new(ActorId.FromGuid(new Guid(n, 0, 0, [0, 0, 0, 0, 0, 0, 0, 0])), new NodeAddress(IPAddress.Loopback, 9000 + n), 0, 7, 1_700_000_000_000);
}
