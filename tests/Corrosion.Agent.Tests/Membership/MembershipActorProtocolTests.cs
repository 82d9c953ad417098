using System.Net;
using System.Net.Sockets;
using Akka.TestKit;
using Corrosion.Agent.Actors;
using Corrosion.Agent.Membership;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Tests.Support;

namespace Corrosion.Agent.Tests.Membership;

/// <summary>The membership actor's talk with storage through a probe; its timers on virtual time.</summary>
public sealed class MembershipActorProtocolTests : NodeTestKit
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public MembershipActorProtocolTests()
        : base(config: VirtualTime)
    {
    }

    [Fact]
    public void Members_remembered_in_storage_are_restored_at_start()
    {
        var storage = CreateTestProbe();
        var membership = Start(storage);
        var remembered = new StoredMember(ActorId.NewId(), "127.0.0.1:9", 4, 7, 1_700_000_000_000, "alive");

        storage.ExpectMsg<LoadMembers>(Timeout).ReplyTo.Tell([remembered]);

        var snapshot = Members(membership);
        var member = Assert.Single(snapshot.Members);
        Assert.Equal((remembered.Id, 9, 4L), (member.Id, member.Address.Port, member.Identity.Incarnation));
    }

    [Fact]
    public async Task No_datagram_is_read_before_storage_answers_or_the_load_times_out()
    {
        var storage = CreateTestProbe();
        var membership = Start(storage);
        storage.ExpectMsg<LoadMembers>(Timeout);
        var address = Members(membership).Self.Address.ToEndPoint();
        using var udp = new UdpClient(AddressFamily.InterNetwork);

        await udp.SendAsync(new byte[] { 1, 2, 3 }, address);
        storage.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        Assert.Equal(0, Members(membership).PacketsRejected);

        ((TestScheduler)Sys.Scheduler).Advance(TimeSpan.FromSeconds(10));

        AwaitAssert(() => Assert.Equal(1, Members(membership).PacketsRejected), Timeout);
    }

    private ActorRef<MembershipCommand> Start(TestProbe storage) =>
        Sys.ActorOf(MembershipActor.Props(
                ActorId.NewId(),
                new IPEndPoint(IPAddress.Loopback, 0),
                7,
                new MembershipOptions { Swim = MembershipTestNode.FastSwim },
                storage.Ref.Typed<StorageCommand>(),
                seed: 1))
            .Typed<MembershipCommand>();

    private MembersSnapshot Members(ActorRef<MembershipCommand> membership)
    {
        var reply = CreateTestProbe();
        membership.Tell(new GetMembers(reply.Ref.Typed<MembersSnapshot>()));
        return reply.ExpectMsg<MembersSnapshot>(Timeout);
    }
}
