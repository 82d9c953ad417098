using System.Net;
using System.Net.Sockets;
using Akka.TestKit;
using Corrosion.Agent.Actors;
using Corrosion.Agent.Membership;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Tests.Support;

namespace Corrosion.Agent.Tests.Membership;

public sealed class MembershipActorTests : NodeTestKit
{
    [Fact]
    public async Task Three_actors_form_a_cluster_from_one_bootstrap_address()
    {
        await using var a = await MembershipTestNode.StartAsync();
        var bootstrap = new[] { a.Address.ToString() };
        await using var b = await MembershipTestNode.StartAsync(bootstrap);
        await using var c = await MembershipTestNode.StartAsync(bootstrap);

        foreach (var node in new[] { a, b, c })
        {
            await node.WaitUntilAsync(s => s.LiveCount == 3 && s.Members.All(m => m.State == MemberState.Alive), "3 live members");
        }

        // C never talked to B directly before: it learned B from A's feed or gossip.
        await c.WaitForAsync(b, MemberState.Alive);
    }

    [Fact]
    public async Task A_subscriber_hears_of_members_already_up_and_of_new_ones()
    {
        await using var a = await MembershipTestNode.StartAsync();
        await using var b = await MembershipTestNode.StartAsync([a.Address.ToString()]);
        await a.WaitForAsync(b, MemberState.Alive);
        var probe = CreateTestProbe();

        a.Membership.Tell(new SubscribeMembers(probe.Ref.Typed<MemberEvent>()));
        var first = await probe.ExpectMsgAsync<MemberEvent>(TimeSpan.FromSeconds(10));
        await using var c = await MembershipTestNode.StartAsync([a.Address.ToString()]);
        var next = await probe.FishForMessageAsync<MemberEvent>(e => e.Member.Address == c.Address, TimeSpan.FromSeconds(20));

        Assert.Equal((MemberNotificationKind.MemberUp, b.Address), (first.Kind, first.Member.Address));
        Assert.Equal(MemberNotificationKind.MemberUp, next.Kind);
    }

    [Fact]
    public async Task A_subscription_numbers_its_events_and_subscribing_again_restarts_them_without_a_second_subscription()
    {
        await using var a = await MembershipTestNode.StartAsync();
        await using var b = await MembershipTestNode.StartAsync([a.Address.ToString()]);
        await a.WaitForAsync(b, MemberState.Alive);
        var probe = CreateTestProbe();

        a.Membership.Tell(new SubscribeMembers(probe.Ref.Typed<MemberEvent>()));
        var first = await probe.ExpectMsgAsync<MemberEvent>(TimeSpan.FromSeconds(10));
        a.Membership.Tell(new SubscribeMembers(probe.Ref.Typed<MemberEvent>()));
        // Events of the first numbering still in flight (a flap under load) come before the replay.
        var replayed = await probe.FishForMessageAsync<MemberEvent>(e => e.Sequence == 1, TimeSpan.FromSeconds(10));
        await using var c = await MembershipTestNode.StartAsync([a.Address.ToString()]);
        // Until C is up (under load B may flap first: those events are numbered too).
        var events = new List<MemberEvent>();
        do
        {
            events.Add(await probe.ExpectMsgAsync<MemberEvent>(TimeSpan.FromSeconds(20)));
        }
        while (!(events[^1].Kind == MemberNotificationKind.MemberUp && events[^1].Member.Address == c.Address));

        Assert.Equal((b.Address, 1L), (first.Member.Address, first.Sequence));
        Assert.Equal((b.Address, 1L), (replayed.Member.Address, replayed.Sequence));
        // One subscription: each event once, numbered on from the replay without a repeat.
        await a.WaitForAsync(c, MemberState.Alive);
        events.AddRange(probe.ReceiveWhile(TimeSpan.FromMilliseconds(300), m => (MemberEvent)m));
        Assert.Equal(Enumerable.Range(2, events.Count).Select(n => (long)n), events.Select(e => e.Sequence));
        Assert.Single(events, e => e.Kind == MemberNotificationKind.MemberUp && e.Member.Address == c.Address && !e.Returned);
    }

    [Fact]
    public async Task Garbage_datagrams_are_counted_and_do_not_disturb_the_cluster()
    {
        await using var a = await MembershipTestNode.StartAsync();
        await using var b = await MembershipTestNode.StartAsync([a.Address.ToString()]);
        await a.WaitForAsync(b, MemberState.Alive);
        using var udp = new UdpClient(AddressFamily.InterNetwork);
        var random = new Random(7);
        var sent = 0;
        MembersSnapshot seen = await a.MembersAsync();
        for (var burst = 0; burst < 20; burst++)
        {
            // Small bursts, each waited for: a burst larger than the socket buffer would lose datagrams in the kernel.
            for (var i = 0; i < 10; i++)
            {
                var garbage = new byte[random.Next(0, 600)];
                random.NextBytes(garbage);
                await udp.SendAsync(garbage, a.Address.ToEndPoint());
                sent++;
            }

            seen = await a.WaitUntilAsync(s => s.PacketsRejected >= sent, $"{sent} rejected packets", TimeSpan.FromSeconds(20));
        }

        var before = seen.PacketsReceived;
        await a.WaitUntilAsync(s => s.PacketsReceived > before + 5, "more valid packets after the garbage");
        await a.WaitForAsync(b, MemberState.Alive);
        await b.WaitForAsync(a, MemberState.Alive);
    }

    [Fact]
    public async Task A_stopped_actor_leaves_and_the_others_see_it_left()
    {
        await using var a = await MembershipTestNode.StartAsync();
        await using var b = await MembershipTestNode.StartAsync([a.Address.ToString()]);
        await using var c = await MembershipTestNode.StartAsync([a.Address.ToString()]);
        await a.WaitUntilAsync(s => s.LiveCount == 3, "3 live members");
        await c.WaitForAsync(b, MemberState.Alive);
        var probe = CreateTestProbe();
        a.Membership.Tell(new SubscribeMembers(probe.Ref.Typed<MemberEvent>()));

        await b.DisposeAsync();

        var left = await probe.FishForMessageAsync<MemberEvent>(e => e.Member.Address == b.Address && e.Kind != MemberNotificationKind.MemberUp, TimeSpan.FromSeconds(10));
        Assert.Equal(MemberNotificationKind.MemberLeft, left.Kind);
        await c.WaitForAsync(b, MemberState.Left, TimeSpan.FromSeconds(10));
        await a.WaitUntilAsync(s => s.LiveCount == 2, "2 live members");
    }

    [Fact]
    public async Task Persisted_members_are_restored_after_a_restart_with_an_empty_bootstrap_list()
    {
        using var dir = new TempDirectory();
        await using var a = await MembershipTestNode.StartAsync();
        var b = await MembershipTestNode.StartAsync([a.Address.ToString()], dbPath: dir.File("b.db"));
        var port = b.Address.Port;
        await b.WaitForAsync(a, MemberState.Alive);
        await WaitUntilPersistedAsync(b, a.Address);
        await b.DisposeAsync();
        await a.WaitForAsync(b, MemberState.Left);

        await using var restarted = await MembershipTestNode.StartAsync(bootstrap: [], dbPath: dir.File("b.db"), port: port);

        Assert.Equal(b.Id, restarted.Id);
        await restarted.WaitForAsync(a, MemberState.Alive);
        await a.WaitForAsync(restarted, MemberState.Alive);
    }

    [Fact]
    public async Task A_node_alone_with_an_unreachable_bootstrap_keeps_running_and_joins_once_it_appears()
    {
        var port = FreeUdpPort();
        await using var b = await MembershipTestNode.StartAsync([$"localhost:{port}"]);
        var alone = await b.MembersAsync();
        Assert.Equal(1, alone.LiveCount);

        await using var a = await MembershipTestNode.StartAsync(port: port);

        await b.WaitForAsync(a, MemberState.Alive, TimeSpan.FromSeconds(30));
        await a.WaitForAsync(b, MemberState.Alive);
    }

    [Fact]
    public async Task Saved_members_round_trip_through_the_store()
    {
        using var dir = new TempDirectory();
        using var store = CrdtStore.Open(new StoreOptions(dir.File("m.db"), []));
        var one = new StoredMember(ActorId.NewId(), "127.0.0.1:9001", 3, 7, 1_700_000_000_000, "alive");
        var two = new StoredMember(ActorId.NewId(), "[::1]:9002", 0, 7, 1_700_000_000_001, "down");

        store.SaveMembers([one, two]);
        store.SaveMembers([two]);

        Assert.Equal([two], store.LoadMembers());
    }

    private static async Task WaitUntilPersistedAsync(MembershipTestNode node, NodeAddress member)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < until)
        {
            var stored = await node.Storage!.Ask<IReadOnlyList<StoredMember>>(r => new LoadMembers(r), TimeSpan.FromSeconds(10));
            if (stored.Any(m => m.Address == member.ToString()))
            {
                return;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"{member} was never persisted");
    }

    private static int FreeUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
