using System.Net;
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
    public async Task Inserted_changed_and_deleted_keys_are_notified()
    {
        await using var node = await SubscriptionApiNode.StartAsync();
        await using var stream = await node.WatchAsync("items");
        Assert.Equal(HttpStatusCode.OK, stream.Status);
        Assert.Equal("application/x-ndjson", stream.ContentType);

        await node.WriteAsync("INSERT INTO items (id, name) VALUES (1, 'one')");
        var insert = await stream.NextAsync();
        await node.WriteAsync("UPDATE items SET name = 'uno' WHERE id = 1");
        var update = await stream.NextAsync();
        await node.WriteAsync("DELETE FROM items WHERE id = 1");
        var delete = await stream.NextAsync();

        Assert.Equal(("update", "[1]"), Notify(insert));
        Assert.Equal(("update", "[1]"), Notify(update));
        Assert.Equal(("delete", "[1]"), Notify(delete));
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
    public async Task An_unknown_table_is_404()
    {
        await using var node = await SubscriptionApiNode.StartAsync();

        var (status, body) = await HttpJson.PostAsync(node.Http, "/v1/updates/no_such_table", "{}");

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.False(string.IsNullOrWhiteSpace(body.GetProperty("error").GetString()));
    }
}
