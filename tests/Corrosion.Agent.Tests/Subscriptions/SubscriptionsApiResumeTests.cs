using System.Net;
using Corrosion.Agent.Membership;
using Corrosion.Agent.Node;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Tests.Membership;
using static Corrosion.Agent.Tests.Subscriptions.SubscriptionsApiStreamTests;

namespace Corrosion.Agent.Tests.Subscriptions;

/// <summary>Subscriptions over HTTP with real gossip between nodes, and across a restart with writes made while down.</summary>
public sealed class SubscriptionsApiResumeTests
{
    private const string ItemsQuery = "SELECT id, name FROM items ORDER BY id";

    [Fact]
    public async Task Changes_merged_from_another_node_reach_an_http_subscriber()
    {
        await using var a = await SubscriptionApiNode.StartAsync(o => o.Membership = new MembershipOptions { Swim = MembershipTestNode.FastSwim }, replication: true);
        var seed = a.Node.Transport!.LocalEndPoint.ToString()!;
        await using var b = await SubscriptionApiNode.StartAsync(o => o.Membership = new MembershipOptions { Swim = MembershipTestNode.FastSwim, Bootstrap = [seed] }, replication: true);
        await using var stream = await b.SubscribeAsync(ItemsQuery);
        await stream.UntilAsync(IsEoq);

        await a.WriteAsync("INSERT INTO items (id, name) VALUES (1, 'from-a')");
        var insert = await stream.NextAsync();
        await a.WriteAsync("DELETE FROM items WHERE id = 1");
        var delete = await stream.NextAsync();

        Assert.Equal(("insert", """[1,"from-a"]""", 1L), (Kind(insert), Cells(insert), ChangeId(insert)));
        Assert.Equal(("delete", 2L), (Kind(delete), ChangeId(delete)));
    }

    [Fact]
    public async Task After_a_restart_changes_made_while_the_node_was_down_are_not_lost()
    {
        await using var node = await SubscriptionApiNode.StartAsync();
        string id;
        await using (var first = await node.SubscribeAsync(ItemsQuery))
        {
            id = first.QueryId;
            await first.UntilAsync(IsEoq);
        }

        await node.StopAsync();
        // Written straight into the database while no subscription service runs.
        using (var store = CrdtStore.Open(CorrosionNode.StoreOptionsFor(node.Options.Db, node.Options.ClusterId)))
        {
            store.Execute([new Statement("INSERT INTO items (id, name) VALUES (7, 'offline')")]);
        }

        await node.StartAgainAsync();
        await using var stream = await node.AttachAsync(id, "?from=0");
        await stream.NextAsync();
        var change = await stream.NextAsync();

        Assert.Equal(("insert", """[7,"offline"]""", 1L), (Kind(change), Cells(change), ChangeId(change)));
    }
}
