using System.Net;
using System.Text.Json;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Tests.Api;

namespace Corrosion.Agent.Tests.Subscriptions;

/// <summary>/v1/subscriptions and /v1/updates over HTTP, against a real node on the test server.</summary>
public sealed class SubscriptionsApiTests
{
    private const string Machines = "\"SELECT id, region, state FROM machines ORDER BY id\"";

    [Fact]
    public async Task Subscribe_streams_columns_rows_and_eoq_then_every_kind_of_change_with_stable_row_ids()
    {
        await using var node = await TestNode.StartAsync();
        await WriteAsync(node, """["INSERT INTO machines (id, region) VALUES ('m1', 'ams')"]""");

        await using var stream = await SubscriptionApiStream.PostAsync(node.Http, "/v1/subscriptions", Machines);

        Assert.Equal(HttpStatusCode.OK, stream.Status);
        Assert.False(string.IsNullOrEmpty(stream.QueryId));
        Assert.Equal(64, stream.QueryHash.Length);
        Assert.Equal("""["id","region","state"]""", (await stream.NextAsync()).GetProperty("columns").GetRawText());
        var row = (await stream.NextAsync()).GetProperty("row");
        var m1 = row[0].GetInt64();
        Assert.Equal("""["m1","ams","created"]""", row[1].GetRawText());
        var eoq = (await stream.NextAsync()).GetProperty("eoq");
        Assert.Equal(0, eoq.GetProperty("change_id").GetInt64());
        Assert.True(eoq.GetProperty("time").GetDouble() >= 0);

        await WriteAsync(node, """["INSERT INTO machines (id, region) VALUES ('m2', 'fra')"]""");
        var insert = await stream.NextChangeAsync();
        Assert.Equal(("insert", """["m2","fra","created"]""", 1L), (insert.Kind, insert.Cells, insert.ChangeId));
        Assert.NotEqual(m1, insert.RowId);

        await WriteAsync(node, """["UPDATE machines SET state = 'started' WHERE id = 'm1'"]""");
        Assert.Equal(("update", m1, """["m1","ams","started"]""", 2L), await stream.NextChangeAsync());

        await WriteAsync(node, """["DELETE FROM machines WHERE id = 'm2'"]""");
        Assert.Equal(("delete", insert.RowId, """["m2","fra","created"]""", 3L), await stream.NextChangeAsync());
    }

    [Fact]
    public async Task An_aggregate_with_group_by_updates_its_group_rows_in_place()
    {
        await using var node = await TestNode.StartAsync();
        await using var stream = await SubscriptionApiStream.PostAsync(node.Http, "/v1/subscriptions?skip_rows=true", "\"SELECT region, count(*) AS n FROM machines GROUP BY region\"");
        await stream.NextAsync(); // columns
        await stream.NextAsync(); // eoq

        await WriteAsync(node, """["INSERT INTO machines (id, region) VALUES ('m1', 'ams')"]""");
        var first = await stream.NextChangeAsync();
        Assert.Equal(("insert", """["ams",1]"""), (first.Kind, first.Cells));

        await WriteAsync(node, """["INSERT INTO machines (id, region) VALUES ('m2', 'ams')"]""");
        Assert.Equal(("update", first.RowId, """["ams",2]""", first.ChangeId + 1), await stream.NextChangeAsync());

        await WriteAsync(node, """["DELETE FROM machines"]""");
        Assert.Equal(("delete", first.RowId, """["ams",2]""", first.ChangeId + 2), await stream.NextChangeAsync());
    }

    [Fact]
    public async Task The_same_query_reuses_its_subscription_and_skip_rows_leaves_the_rows_out()
    {
        await using var node = await TestNode.StartAsync();
        await WriteAsync(node, """["INSERT INTO machines (id, region) VALUES ('m1', 'ams')"]""");

        await using var first = await SubscriptionApiStream.PostAsync(node.Http, "/v1/subscriptions", Machines);
        await using var second = await SubscriptionApiStream.PostAsync(node.Http, "/v1/subscriptions?skip_rows=true", Machines);

        Assert.Equal(first.QueryId, second.QueryId);
        Assert.Equal(first.QueryHash, second.QueryHash);
        await second.NextAsync(); // columns
        Assert.True((await second.NextAsync()).TryGetProperty("eoq", out _), "skip_rows goes straight to the end-of-query mark");
    }

    [Fact]
    public async Task Resuming_from_a_change_id_replays_exactly_the_changes_missed_then_goes_live()
    {
        await using var node = await TestNode.StartAsync();
        string id;
        await using (var stream = await SubscriptionApiStream.PostAsync(node.Http, "/v1/subscriptions?skip_rows=true", Machines))
        {
            id = stream.QueryId;
            await stream.NextAsync();
            await stream.NextAsync();
            await WriteAsync(node, """["INSERT INTO machines (id) VALUES ('a')"]""");
            Assert.Equal(1, (await stream.NextChangeAsync()).ChangeId);
        }

        // Disconnected: two changes happen meanwhile.
        await WriteAsync(node, """["INSERT INTO machines (id) VALUES ('b')"]""");
        await WriteAsync(node, """["UPDATE machines SET state = 'gone' WHERE id = 'a'"]""");

        await using var resumed = await SubscriptionApiStream.GetAsync(node.Http, $"/v1/subscriptions/{id}?from=1");
        Assert.Equal(HttpStatusCode.OK, resumed.Status);
        Assert.True((await resumed.NextAsync()).TryGetProperty("columns", out _));
        // Both writes may land in one batch window, so their order is the diff's, not the writes'.
        var missed = new[] { await resumed.NextChangeAsync(), await resumed.NextChangeAsync() };
        Assert.Equal([2L, 3L], missed.Select(c => c.ChangeId));
        var b = Assert.Single(missed, c => c.Kind == "insert");
        Assert.Equal("""["b","","created"]""", b.Cells);
        Assert.Equal("""["a","","gone"]""", Assert.Single(missed, c => c.Kind == "update").Cells);

        await WriteAsync(node, """["DELETE FROM machines WHERE id = 'b'"]""");
        Assert.Equal(("delete", b.RowId, 4L), ((await resumed.NextChangeAsync()) is var d ? (d.Kind, d.RowId, d.ChangeId) : default));
    }

    [Fact]
    public async Task A_change_id_older_than_the_log_is_gone_with_the_oldest_id_kept()
    {
        await using var node = await TestNode.StartAsync(o => o.Subscriptions = o.Subscriptions with { MaxChangeLog = 2 });
        await using var stream = await SubscriptionApiStream.PostAsync(node.Http, "/v1/subscriptions?skip_rows=true", Machines);
        var id = stream.QueryId;
        await stream.NextAsync();
        await stream.NextAsync();
        for (var i = 0; i < 5; i++)
        {
            await WriteAsync(node, $$"""["INSERT INTO machines (id) VALUES ('m{{i}}')"]""");
            await stream.NextChangeAsync();
        }

        await using var stale = await SubscriptionApiStream.GetAsync(node.Http, $"/v1/subscriptions/{id}?from=0");
        var body = await stale.BodyAsync();

        Assert.Equal(HttpStatusCode.Gone, stale.Status);
        var oldest = body.GetProperty("oldest_change_id").GetInt64();
        Assert.InRange(oldest, 2, 4);
        Assert.Contains("error", body.EnumerateObject().Select(p => p.Name));

        // From just before the oldest kept, nothing is missing.
        await using var ok = await SubscriptionApiStream.GetAsync(node.Http, $"/v1/subscriptions/{id}?from={oldest - 1}");
        Assert.Equal(HttpStatusCode.OK, ok.Status);
        await ok.NextAsync();
        Assert.Equal(oldest, (await ok.NextChangeAsync()).ChangeId);
    }

    [Theory]
    [InlineData("POST", "/v1/subscriptions", "\"SELEC nonsense\"", HttpStatusCode.BadRequest)]
    [InlineData("POST", "/v1/subscriptions", "\"DELETE FROM machines\"", HttpStatusCode.BadRequest)]
    [InlineData("POST", "/v1/subscriptions", "\"SELECT * FROM __corro_members\"", HttpStatusCode.BadRequest)]
    [InlineData("POST", "/v1/subscriptions?skip_rows=maybe", "\"SELECT * FROM machines\"", HttpStatusCode.BadRequest)]
    [InlineData("POST", "/v1/subscriptions", "{\"nope\": 1}", HttpStatusCode.BadRequest)]
    [InlineData("GET", "/v1/subscriptions/no-such-id", null, HttpStatusCode.NotFound)]
    [InlineData("GET", "/v1/subscriptions/no-such-id?from=abc", null, HttpStatusCode.BadRequest)]
    [InlineData("POST", "/v1/updates/no_such_table", null, HttpStatusCode.BadRequest)]
    [InlineData("DELETE", "/v1/subscriptions", null, HttpStatusCode.MethodNotAllowed)]
    public async Task Bad_requests_get_a_json_error_and_create_nothing(string method, string path, string? body, HttpStatusCode expected)
    {
        await using var node = await TestNode.StartAsync();
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        }

        using var response = await node.Http.SendAsync(request);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(expected, response.StatusCode);
        Assert.False(string.IsNullOrEmpty(json.RootElement.GetProperty("error").GetString()));
        Assert.Equal(0, await SubscriptionCountAsync(node));
    }

    [Fact]
    public async Task A_subscription_outlives_a_node_restart_and_resumes_with_the_changes_made_while_down()
    {
        var node = await TestNode.StartAsync();
        try
        {
            string id;
            await using (var stream = await SubscriptionApiStream.PostAsync(node.Http, "/v1/subscriptions?skip_rows=true", Machines))
            {
                id = stream.QueryId;
                await stream.NextAsync();
                await stream.NextAsync();
                await WriteAsync(node, """["INSERT INTO machines (id) VALUES ('before')"]""");
                Assert.Equal(1, (await stream.NextChangeAsync()).ChangeId);
                await WriteAsync(node, """["INSERT INTO machines (id) VALUES ('unseen')"]""");
            }

            node = await node.RestartAsync();

            await using var resumed = await SubscriptionApiStream.GetAsync(node.Http, $"/v1/subscriptions/{id}?from=1");
            Assert.Equal(HttpStatusCode.OK, resumed.Status);
            await resumed.NextAsync();
            var unseen = await resumed.NextChangeAsync();
            Assert.Equal(("insert", """["unseen","","created"]""", 2L), (unseen.Kind, unseen.Cells, unseen.ChangeId));

            await WriteAsync(node, """["INSERT INTO machines (id) VALUES ('after')"]""");
            var after = await resumed.NextChangeAsync();
            Assert.Equal(("insert", """["after","","created"]""", 3L), (after.Kind, after.Cells, after.ChangeId));
        }
        finally
        {
            await node.DisposeAsync();
        }
    }

    [Fact]
    public async Task Changes_merged_from_another_node_reach_http_subscribers_and_table_watchers()
    {
        await using var node = await TestNode.StartAsync();
        await using var other = await TestNode.StartAsync();
        await using var subscription = await SubscriptionApiStream.PostAsync(node.Http, "/v1/subscriptions?skip_rows=true", Machines);
        await subscription.NextAsync();
        await subscription.NextAsync();
        await using var updates = await SubscriptionApiStream.PostAsync(node.Http, "/v1/updates/machines", "");
        Assert.Equal(HttpStatusCode.OK, updates.Status);

        // The other node writes; its changeset is merged here as gossip would.
        await WriteAsync(other, """["INSERT INTO machines (id, region) VALUES ('remote', 'syd')"]""");
        var changesets = other.Node.Store.ChangesFor(other.Node.ActorId, new VersionRange(1, 1));
        var outcome = await node.Node.Actors.Storage.Ask<ApplyOutcome>(reply => new ApplyChangesets(changesets, reply), SubscriptionApiStream.Deadline);
        Assert.Null(outcome.Error);

        Assert.Equal(("insert", """["remote","syd","created"]"""), (await subscription.NextChangeAsync()) is var c ? (c.Kind, c.Cells) : default);
        Assert.Equal("""["update",["remote"]]""", (await updates.NextAsync()).GetProperty("notify").GetRawText());
    }

    [Fact]
    public async Task Updates_notify_each_changed_key_as_update_or_delete()
    {
        await using var node = await TestNode.StartAsync();
        await using var updates = await SubscriptionApiStream.PostAsync(node.Http, "/v1/updates/services", "");
        Assert.Equal(HttpStatusCode.OK, updates.Status);

        await WriteAsync(node, """["INSERT INTO services (name, machine_id, port) VALUES ('web', 'm1', 80)", "INSERT INTO machines (id) VALUES ('m1')"]""");
        Assert.Equal("""["update",["web","m1"]]""", (await updates.NextAsync()).GetProperty("notify").GetRawText());

        await WriteAsync(node, """["UPDATE services SET port = 81", "INSERT INTO services (name, machine_id) VALUES ('db', 'm1')"]""");
        var next = new[] { (await updates.NextAsync()).GetProperty("notify").GetRawText(), (await updates.NextAsync()).GetProperty("notify").GetRawText() };
        Assert.Equal(["""["update",["db","m1"]]""", """["update",["web","m1"]]"""], next.Order(StringComparer.Ordinal));

        await WriteAsync(node, """["DELETE FROM services WHERE name = 'web'"]""");
        Assert.Equal("""["delete",["web","m1"]]""", (await updates.NextAsync()).GetProperty("notify").GetRawText());
    }

    private static async Task WriteAsync(TestNode node, string statements)
    {
        var (status, body) = await HttpJson.PostAsync(node.Http, "/v1/transactions", statements);
        Assert.True(status == HttpStatusCode.OK, $"transaction failed: {body}");
    }

    private static async Task<long> SubscriptionCountAsync(TestNode node)
    {
        // An answer from the actor means it has started, so its file exists.
        using (var probe = await node.Http.GetAsync("/v1/subscriptions/probe"))
        {
            Assert.Equal(HttpStatusCode.NotFound, probe.StatusCode);
        }

        var path = node.Node.Options.Subscriptions.ResolvePath(node.Node.Options.Db.Path);
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM subscriptions";
        return (long)command.ExecuteScalar()!;
    }
}
