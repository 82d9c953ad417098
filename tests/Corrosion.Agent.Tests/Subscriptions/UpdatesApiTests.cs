using System.Net;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Tests.Api;

namespace Corrosion.Agent.Tests.Subscriptions;

/// <summary><c>POST /v1/updates/{table}</c> on a whole node.</summary>
public sealed class UpdatesApiTests
{
    private static (string Kind, string Pk) Notify(System.Text.Json.JsonElement line)
    {
        var notify = line.GetProperty("notify");
        return (notify[0].GetString()!, notify[1].GetRawText());
    }

    [Fact]
    public async Task A_transaction_notifies_each_changed_key_once_and_only_of_the_watched_table()
    {
        await using var node = await SubscriptionApiNode.StartAsync();
        await using var stream = await node.WatchAsync("pairs");

        await node.WriteAsync(
            "INSERT INTO teams (name) VALUES ('t')",
            "INSERT INTO pairs (a, b, v) VALUES (1, 'x', 'v1')",
            "UPDATE pairs SET v = 'v2' WHERE a = 1 AND b = 'x'",
            "INSERT INTO pairs (a, b, v) VALUES (2, 'y', 'v')");
        var lines = await stream.NextAsync(2);
        await node.WriteAsync("DELETE FROM pairs WHERE a = 2");
        var delete = await stream.NextAsync();

        Assert.Equal([("update", """[1,"x"]"""), ("update", """[2,"y"]""")], lines.Select(Notify));
        Assert.Equal(("delete", """[2,"y"]"""), Notify(delete));
    }

    [Fact]
    public async Task Keys_changed_by_a_merge_from_another_node_are_notified()
    {
        await using var origin = await SubscriptionApiNode.StartAsync();
        await using var node = await SubscriptionApiNode.StartAsync();
        await using var stream = await node.WatchAsync("items");

        await origin.WriteAsync("INSERT INTO items (id, name) VALUES (5, 'five')");
        await MergeAsync(origin, node, 1);
        var insert = await stream.NextAsync();
        await origin.WriteAsync("DELETE FROM items WHERE id = 5");
        await MergeAsync(origin, node, 2);
        var delete = await stream.NextAsync();

        Assert.Equal(("update", "[5]"), Notify(insert));
        Assert.Equal(("delete", "[5]"), Notify(delete));
    }

    [Fact]
    public async Task A_watcher_that_falls_behind_gets_an_error_and_the_stream_ends()
    {
        await using var node = await SubscriptionApiNode.StartAsync(o => o.Subscriptions = o.Subscriptions with { SubscriberBuffer = 4 });
        await using var stream = await node.WatchAsync("items");

        await node.WriteAsync("INSERT INTO items (id, name) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200) SELECT i, 'x' FROM n");
        var lines = await stream.UntilAsync(l => l.TryGetProperty("error", out _));

        // At most the buffer's 4 plus the one the pump had taken out and was writing when the buffer overflowed
        // (CI saw 5 once; the bound was the buffer alone).
        Assert.InRange(lines.Count - 1, 0, 4 + 1);
        Assert.Null(await stream.TryNextAsync());
    }

    /// <summary>Applies <paramref name="version"/> of <paramref name="from"/> on <paramref name="to"/> through its writer, as sync would.</summary>
    private static async Task MergeAsync(SubscriptionApiNode from, SubscriptionApiNode to, long version)
    {
        var changesets = await from.Node.Actors.Storage.Ask<IReadOnlyList<Changeset>>(
            reply => new ReadChanges(from.Node.ActorId, VersionRange.Single(version), reply), SubscriptionApiStream.Deadline);
        var outcome = await to.Node.Actors.Storage.Ask<ApplyOutcome>(reply => new ApplyChangesets(changesets, reply), SubscriptionApiStream.Deadline);
        Assert.Null(outcome.Error);
        Assert.NotEmpty(outcome.Result!.Changed);
    }
}
