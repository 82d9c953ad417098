using Akka.Actor;
using Corrosion.Agent.Actors;
using Corrosion.Agent.Membership;
using Corrosion.Agent.Node;
using Corrosion.Agent.Replication;
using Corrosion.Agent.Tests.Api;
using Corrosion.Agent.Tests.Membership;
using Corrosion.Agent.Tests.Support;

namespace Corrosion.Agent.Tests.Node;

/// <summary>
/// Whole nodes whose membership or gossip actor is restarted by the supervisor (Akka's <see cref="Kill"/>):
/// the member-gossip bridge has no timer, so these pass only because the supervisor tells it to resync.
/// </summary>
public sealed class MemberGossipResyncTests
{
    private static readonly SupervisionOptions QuickRestart = new() { MinBackoff = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromMilliseconds(50), MaxRestarts = 10 };

    [Fact]
    public async Task After_membership_restarts_gossip_still_hears_of_new_members()
    {
        await using var a = await StartAsync();
        await using var b = await StartAsync(a);
        await WaitForLivePeersAsync(b, 1);

        // The restarted membership actor starts with no subscribers; the bridge subscribed to the old one.
        b.Node.Actors.Membership!.Untyped.Tell(Kill.Instance);
        await Wait.UntilAsync(async () => (await MembersAsync(b)).LiveCount == 2, "b's new membership to see a again");
        await using var c = await StartAsync(a);

        await WaitForLivePeersAsync(b, 2);
    }

    [Fact]
    public async Task After_gossip_restarts_it_has_its_peers_again()
    {
        await using var a = await StartAsync();
        await using var b = await StartAsync(a);
        await using var c = await StartAsync(a);
        await WaitForLivePeersAsync(b, 2);

        // The restarted gossip actor starts with no peers, and nothing changes in membership to tell it of them.
        b.Node.Actors.Gossip!.Untyped.Tell(Kill.Instance);

        await WaitForLivePeersAsync(b, 2);
    }

    private static Task<TestNode> StartAsync(TestNode? seed = null) => TestNode.StartAsync(o =>
    {
        o.Membership = new MembershipOptions { Swim = MembershipTestNode.FastSwim, Bootstrap = seed is null ? [] : [seed.Node.Transport!.LocalEndPoint.ToString()!] };
        o.Supervision = QuickRestart;
    });

    private static Task<MembersSnapshot> MembersAsync(TestNode node) =>
        node.Node.Actors.Membership!.Ask<MembersSnapshot>(r => new GetMembers(r), TimeSpan.FromSeconds(10));

    private static Task WaitForLivePeersAsync(TestNode node, int peers) =>
        Wait.UntilAsync(
            async () => (await node.Node.Actors.Gossip!.Ask<GossipStats>(r => new GetGossipStats(r), TimeSpan.FromSeconds(10))).LivePeers == peers,
            $"gossip of {node.Node.ActorId} to have {peers} live peers",
            TimeSpan.FromSeconds(30));
}
