using System.Net;
using Akka.TestKit;
using Corrosion.Agent.Actors;
using Corrosion.Agent.Membership;
using Corrosion.Agent.Node;
using Corrosion.Agent.Replication;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Tests.Support;

namespace Corrosion.Agent.Tests.Node;

/// <summary>The bridge's protocol through probes standing in for membership and gossip, its timer on virtual time.</summary>
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

        subscriber.Tell(new MemberEvent(MemberNotificationKind.MemberUp, Member(2)));
        subscriber.Tell(new MemberEvent(MemberNotificationKind.MemberSuspect, Member(2)));
        subscriber.Tell(new MemberEvent(MemberNotificationKind.MemberLeft, Member(3)));

        Assert.Equal(new PeerUp(Member(2).Id, Member(2).Address.ToEndPoint()), gossip.ExpectMsg<PeerUp>(Timeout));
        Assert.Equal(new PeerDown(Member(3).Id), gossip.ExpectMsg<PeerDown>(Timeout));
        gossip.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void A_member_that_came_back_becomes_a_returned_peer_of_gossip()
    {
        var (membership, gossip) = StartBridge();
        var subscriber = membership.ExpectMsg<SubscribeMembers>(Timeout).Subscriber;

        subscriber.Tell(new MemberEvent(MemberNotificationKind.MemberUp, Member(2), Returned: true));

        Assert.Equal(new PeerReturned(Member(2).Id, Member(2).Address.ToEndPoint()), gossip.ExpectMsg<PeerReturned>(Timeout));
    }

    [Fact]
    public void Every_five_seconds_the_member_list_is_announced_again()
    {
        var (membership, gossip) = StartBridge();
        membership.ExpectMsg<SubscribeMembers>(Timeout);

        Scheduler.Advance(MemberGossipBridge.ReconcileEvery - TimeSpan.FromMilliseconds(1));
        membership.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Scheduler.Advance(TimeSpan.FromMilliseconds(1));

        var ask = membership.ExpectMsg<GetMembers>(Timeout);
        ask.ReplyTo.Tell(new MembersSnapshot(
            new MemberInfo(Self, MemberState.Alive, null),
            [new MemberInfo(Member(2), MemberState.Suspect, 3), new MemberInfo(Member(3), MemberState.Down, null)],
            PacketsReceived: 0,
            PacketsRejected: 0));
        Assert.Equal(Member(2).Id, gossip.ExpectMsg<PeerUp>(Timeout).Id);
        Assert.Equal(Member(3).Id, gossip.ExpectMsg<PeerDown>(Timeout).Id);
    }

    private TestScheduler Scheduler => (TestScheduler)Sys.Scheduler;

    private (TestProbe Membership, TestProbe Gossip) StartBridge()
    {
        var membership = CreateTestProbe();
        var gossip = CreateTestProbe();
        Sys.ActorOf(MemberGossipBridge.Props(membership.Ref.Typed<MembershipCommand>(), gossip.Ref.Typed<GossipCommand>()), "bridge");
        return (membership, gossip);
    }

    private static MemberIdentity Member(int n) =>
        new(ActorId.FromGuid(new Guid(n, 0, 0, [0, 0, 0, 0, 0, 0, 0, 0])), new NodeAddress(IPAddress.Loopback, 9000 + n), 0, 7, 1_700_000_000_000);
}
