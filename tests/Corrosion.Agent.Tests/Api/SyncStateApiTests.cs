using System.Net;
using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Tests.Api;

public sealed class SyncStateApiTests
{
    private const string Schema = "CREATE TABLE a (id INTEGER NOT NULL PRIMARY KEY, v TEXT);";

    [Fact]
    public async Task Sync_state_lists_heads_and_the_gaps_left_by_a_remote_version_received_out_of_order()
    {
        await using var node = await TestNode.StartAsync(schema: Schema);
        await HttpJson.PostAsync(node.Http, "/v1/transactions", """["INSERT INTO a (id) VALUES (1)", "INSERT INTO a (id) VALUES (2)"]""");
        await HttpJson.PostAsync(node.Http, "/v1/transactions", """["UPDATE a SET v = 'x' WHERE id = 1"]""");

        // Version 5 of a remote actor, alone: versions 1..4 become needed.
        var remote = ActorId.NewId();
        var outcome = await node.Node.Actors.Storage.Ask<ApplyOutcome>(
            reply => new ApplyChangesets([new ChangesetEmpty(remote, VersionRange.Single(5))], reply), TimeSpan.FromSeconds(10));
        Assert.Null(outcome.Error);

        var (status, json) = await HttpJson.GetAsync(node.Http, "/v1/sync/state");
        var (_, health) = await HttpJson.GetAsync(node.Http, "/v1/health");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(node.Node.ActorId.ToString(), json.GetProperty("actor_id").GetString());
        Assert.Equal(2, json.GetProperty("heads").GetProperty(node.Node.ActorId.ToString()).GetInt64());
        Assert.Equal(5, json.GetProperty("heads").GetProperty(remote.ToString()).GetInt64());
        var need = Assert.Single(json.GetProperty("need").GetProperty(remote.ToString()).EnumerateArray());
        Assert.Equal(1, need.GetProperty("start").GetInt64());
        Assert.Equal(4, need.GetProperty("end").GetInt64());
        Assert.False(json.GetProperty("need").TryGetProperty(node.Node.ActorId.ToString(), out _));
        Assert.Equal(System.Text.Json.JsonValueKind.Object, json.GetProperty("partial_need").ValueKind);
        Assert.Equal(4, health.GetProperty("response").GetProperty("gaps").GetInt64());
    }

    [Fact]
    public async Task Health_reports_gaps_members_queue_size_and_lag()
    {
        await using var node = await TestNode.StartAsync(schema: Schema);
        var (status, json) = await HttpJson.GetAsync(node.Http, "/v1/health?queue_size=0&gaps=0");

        Assert.Equal(HttpStatusCode.OK, status);
        var response = json.GetProperty("response");
        Assert.Equal(0, response.GetProperty("gaps").GetInt64());
        Assert.Equal(0, response.GetProperty("queue_size").GetInt64());
        Assert.True(response.TryGetProperty("members", out _));
        Assert.True(response.TryGetProperty("p99_lag", out _));
    }

    [Fact]
    public async Task Sync_state_accepts_get_only()
    {
        await using var node = await TestNode.StartAsync(schema: Schema);
        var (status, _) = await HttpJson.PostAsync(node.Http, "/v1/sync/state", "{}");

        Assert.Equal(HttpStatusCode.MethodNotAllowed, status);
    }
}
