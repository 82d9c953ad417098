using System.Net;
using System.Text.Json;
using Corrosion.Agent.Membership;
using Corrosion.Agent.Tests.Api;
using Corrosion.Agent.Tests.Membership;
using Corrosion.Agent.Tests.Support;

namespace Corrosion.Agent.Tests.Node;

/// <summary>Whole nodes (API, storage, membership, gossip) replicating over loopback.</summary>
public sealed class NodeReplicationTests
{
    private const string Schema = "CREATE TABLE kv (k TEXT NOT NULL PRIMARY KEY, v TEXT);";

    private static MembershipOptions Fast(params string[] bootstrap) => new() { Swim = MembershipTestNode.FastSwim, Bootstrap = bootstrap };

    [Fact]
    public async Task A_write_on_any_node_reaches_every_node_that_joined_by_bootstrap()
    {
        await using var a = await TestNode.StartAsync(o => o.Membership = Fast(), Schema);
        var seed = a.Node.Transport!.LocalEndPoint.ToString()!;
        await using var b = await TestNode.StartAsync(o => o.Membership = Fast(seed), Schema);
        await using var c = await TestNode.StartAsync(o => o.Membership = Fast(seed), Schema);
        TestNode[] nodes = [a, b, c];

        await WriteAsync(a, "from-a", "1");
        await WriteAsync(c, "from-c", "2");

        foreach (var node in nodes)
        {
            await Wait.UntilAsync(() => ReadAsync(node).Result == "from-a=1,from-c=2", $"node {node.Node.ActorId} to have both writes");
        }
    }

    [Fact]
    public async Task Concurrent_writes_to_one_key_on_two_nodes_converge()
    {
        await using var a = await TestNode.StartAsync(o => o.Membership = Fast(), Schema);
        await using var b = await TestNode.StartAsync(o => o.Membership = Fast(a.Node.Transport!.LocalEndPoint.ToString()!), Schema);

        await Task.WhenAll(WriteAsync(a, "k", "from-a"), WriteAsync(b, "k", "from-b"));

        await Wait.UntilAsync(() => ReadAsync(a).Result == ReadAsync(b).Result, "both nodes to hold the same value");
        Assert.Matches("^k=from-[ab]$", await ReadAsync(a));
    }

    private static async Task WriteAsync(TestNode node, string key, string value)
    {
        var body = JsonSerializer.Serialize(new object[] { new object[] { "INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v", new[] { key, value } } });
        var (status, json) = await HttpJson.PostAsync(node.Http, "/v1/transactions", body);
        Assert.True(status == HttpStatusCode.OK, json.ToString());
    }

    private static async Task<string> ReadAsync(TestNode node)
    {
        var (_, lines) = await HttpJson.PostNdJsonAsync(node.Http, "/v1/queries", "\"SELECT k, v FROM kv ORDER BY k\"");
        return string.Join(',', lines.Where(l => l.TryGetProperty("row", out _)).Select(l => $"{l.GetProperty("row")[1][0].GetString()}={l.GetProperty("row")[1][1].GetString()}"));
    }
}
