using System.Net;
using System.Text.Json;
using Corrosion.Agent.Replication;
using Corrosion.Agent.Tests.Api;
using Corrosion.Agent.Tests.Support;

namespace Corrosion.Agent.Tests.Node;

/// <summary>What a node alone gives back when its process goes quiet after a burst (<c>CorrosionNode.ReleaseMemoryAsync</c>).</summary>
public sealed class NodeMemoryReleaseTests
{
    private const string Schema = "CREATE TABLE items (id INTEGER NOT NULL PRIMARY KEY, name TEXT, data BLOB);";

    [Fact]
    public async Task A_node_alone_frees_its_page_cache_and_broadcast_memory_after_writes_and_keeps_serving()
    {
        await using var node = await TestNode.StartAsync(schema: Schema);
        for (var i = 0; i < 100; i++)
        {
            var body = JsonSerializer.Serialize(new object[] { new object[] { "INSERT INTO items (id, name, data) VALUES (?, 'x', zeroblob(4000))", new[] { i } } });
            var (status, _) = await HttpJson.PostAsync(node.Http, "/v1/transactions", body);
            Assert.Equal(HttpStatusCode.OK, status);
        }

        // A write is acknowledged once committed; its changeset reaches the gossip actor after that (storage's event,
        // then the forwarder's hop), so wait until all 100 are queued for broadcast before giving memory back.
        await Wait.UntilAsync(
            async () => (await node.Node.Actors.Gossip!.Ask<GossipStats>(r => new GetGossipStats(r), TimeSpan.FromSeconds(10))).LocalChangesets == 100,
            "the gossip actor to have the 100 local changesets",
            TimeSpan.FromSeconds(30));

        var released = await node.Node.ReleaseMemoryAsync(TimeSpan.FromSeconds(30));

        Assert.True(released.PageCacheBytes > 256 * 1024, $"page cache freed: {released.PageCacheBytes} bytes");
        Assert.Equal(100, released.PendingDropped); // alone: kept for members that are not there
        Assert.Equal(0, released.SeenIdsForgotten); // fewer than the latest ids a quiet node keeps
        var again = await node.Node.ReleaseMemoryAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, again.PendingDropped);
        var (after, _) = await HttpJson.PostAsync(node.Http, "/v1/transactions", """["INSERT INTO items (id) VALUES (1000)"]""");
        Assert.Equal(HttpStatusCode.OK, after);
    }
}
