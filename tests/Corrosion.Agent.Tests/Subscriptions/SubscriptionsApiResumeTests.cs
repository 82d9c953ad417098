using System.Net;
using Corrosion.Agent.Membership;
using Corrosion.Agent.Node;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Tests.Membership;
using static Corrosion.Agent.Tests.Subscriptions.SubscriptionsApiTests;

namespace Corrosion.Agent.Tests.Subscriptions;

/// <summary>Subscriptions over HTTP across nodes and across a restart of the node.</summary>
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
    public async Task After_a_restart_a_subscription_resumes_with_the_changes_it_missed_then_live_ones()
    {
        await using var node = await SubscriptionApiNode.StartAsync();
        string id;
        long seen;
        await using (var first = await node.SubscribeAsync(ItemsQuery))
        {
            id = first.QueryId;
            await first.UntilAsync(IsEoq);
            await node.WriteAsync("INSERT INTO items (id, name) VALUES (1, 'one')");
            seen = ChangeId(await first.NextAsync());
        }

        await node.WriteAsync("INSERT INTO items (id, name) VALUES (2, 'two')");
        await node.WriteAsync("UPDATE items SET name = 'uno' WHERE id = 1");
        await node.StopAsync();
        await node.StartAgainAsync();

        await using var stream = await node.AttachAsync(id, $"?from={seen}");
        Assert.Equal(HttpStatusCode.OK, stream.Status);
        Assert.Equal(id, stream.QueryId);
        await stream.NextAsync();
        var missed = await stream.NextAsync(2);
        await node.WriteAsync("DELETE FROM items WHERE id = 2");
        var live = await stream.NextAsync();

        // Both writes may have been folded into one evaluation (before or after the restart), so
        // their order within it is not fixed; their ids are.
        Assert.Equal([2L, 3L], missed.Select(ChangeId));
        Assert.Equal([("insert", """[2,"two"]"""), ("update", """[1,"uno"]""")], missed.Select(l => (Kind(l), Cells(l))).OrderBy(k => k.Item1));
        Assert.Equal(("delete", """[2,"two"]""", 4L), (Kind(live), Cells(live), ChangeId(live)));
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
