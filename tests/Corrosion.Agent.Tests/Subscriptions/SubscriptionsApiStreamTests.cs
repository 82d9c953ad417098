using System.Net;
using System.Text.Json;
using Corrosion.Agent.Api;
using Corrosion.Agent.Tests.Api;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Logging.Abstractions;

namespace Corrosion.Agent.Tests.Subscriptions;

/// <summary>
/// <c>POST /v1/subscriptions</c> and <c>GET /v1/subscriptions/{id}</c> on a whole node: parameters, resume
/// semantics, a subscriber that falls behind, refusals, auth, and streams ending when the node stops.
/// </summary>
public sealed class SubscriptionsApiStreamTests
{
    private const string ItemsQuery = "SELECT id, name FROM items ORDER BY id";

    internal static bool IsEoq(JsonElement line) => line.TryGetProperty("eoq", out _);

    internal static JsonElement Change(JsonElement line) => line.GetProperty("change");

    internal static long ChangeId(JsonElement line) => Change(line)[3].GetInt64();

    internal static string Kind(JsonElement line) => Change(line)[0].GetString()!;

    internal static long RowId(JsonElement line) => Change(line)[1].GetInt64();

    internal static string Cells(JsonElement line) => Change(line)[2].GetRawText();

    [Fact]
    public async Task Parameters_are_part_of_the_statement()
    {
        await using var node = await SubscriptionApiNode.StartAsync();
        await node.WriteAsync("INSERT INTO items (id, name) VALUES (1, 'one')", "INSERT INTO items (id, name) VALUES (2, 'two')");

        await using var one = await SubscriptionApiStream.PostAsync(node.Http, "/v1/subscriptions", """["SELECT name FROM items WHERE id = ?", [1]]""");
        await using var two = await SubscriptionApiStream.PostAsync(node.Http, "/v1/subscriptions", """{"query": "SELECT name FROM items WHERE id = :id", "named_params": {"id": 2}}""");

        Assert.Equal("""["one"]""", (await one.NextAsync(2))[1].GetProperty("row")[1].GetRawText());
        Assert.Equal("""["two"]""", (await two.NextAsync(2))[1].GetProperty("row")[1].GetRawText());
        Assert.NotEqual(one.QueryId, two.QueryId);
    }

    [Fact]
    public async Task Get_without_from_starts_like_a_new_subscriber()
    {
        await using var node = await SubscriptionApiNode.StartAsync();
        await node.WriteAsync("INSERT INTO items (id, name) VALUES (1, 'one')");
        string id;
        await using (var first = await node.SubscribeAsync(ItemsQuery))
        {
            id = first.QueryId;
        }

        await using var stream = await node.AttachAsync(id);

        Assert.Equal(HttpStatusCode.OK, stream.Status);
        Assert.Equal(id, stream.QueryId);
        var lines = await stream.NextAsync(3);
        Assert.Equal("""[1,"one"]""", lines[1].GetProperty("row")[1].GetRawText());
        Assert.True(IsEoq(lines[2]));
    }

    [Fact]
    public async Task Get_with_from_after_a_disconnect_gives_exactly_the_missed_changes_then_live_ones()
    {
        await using var node = await SubscriptionApiNode.StartAsync();
        // A second subscriber stays connected throughout: what it sees is what the first one missed
        // (a burst of writes may be folded into fewer changes, so the writes alone do not say).
        await using var observer = await node.SubscribeAsync(ItemsQuery);
        await observer.UntilAsync(IsEoq);
        string id;
        long seen;
        await using (var first = await node.SubscribeAsync(ItemsQuery))
        {
            id = first.QueryId;
            await first.UntilAsync(IsEoq);
            await node.WriteAsync("INSERT INTO items (id, name) VALUES (1, 'one')");
            seen = ChangeId(await first.NextAsync());
            await observer.NextAsync();
        }

        await node.WriteAsync("INSERT INTO items (id, name) VALUES (2, 'two')");
        await node.WriteAsync("UPDATE items SET name = 'uno' WHERE id = 1");
        await node.WriteAsync("INSERT INTO items (id, name) VALUES (3, 'three')");
        await node.WriteAsync("DELETE FROM items WHERE id = 2");
        await node.WriteAsync("INSERT INTO items (id, name) VALUES (9, 'last')");
        // The last write's change comes with or after everything written before it.
        var expected = await observer.UntilAsync(l => Cells(l) == """[9,"last"]""");

        await using var stream = await node.AttachAsync(id, $"?from={seen}");
        Assert.Equal(HttpStatusCode.OK, stream.Status);
        Assert.Equal(id, stream.QueryId);
        Assert.Equal("""["id","name"]""", (await stream.NextAsync()).GetProperty("columns").GetRawText());
        var missed = await stream.NextAsync(expected.Count);
        await node.WriteAsync("INSERT INTO items (id, name) VALUES (4, 'four')");
        var live = await stream.NextAsync();

        Assert.Equal(1, seen);
        Assert.Equal(expected.Select(l => l.GetRawText()), missed.Select(l => l.GetRawText()));
        Assert.Equal(Enumerable.Range(2, expected.Count).Select(i => (long)i), missed.Select(ChangeId));
        Assert.Equal(("insert", """[4,"four"]""", expected.Count + 2L), (Kind(live), Cells(live), ChangeId(live)));
    }

    [Fact]
    public async Task A_subscriber_that_falls_behind_gets_an_error_and_resumes_without_loss()
    {
        await using var node = await SubscriptionApiNode.StartAsync(o => o.Subscriptions = o.Subscriptions with { SubscriberBuffer = 4 });
        await using var slow = await node.SubscribeAsync(ItemsQuery);
        await slow.UntilAsync(IsEoq);

        // One transaction, one diff of 500 changes: far more than the buffer at once.
        await node.WriteAsync("INSERT INTO items (id, name) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) SELECT i, 'x' FROM n");
        var received = await slow.UntilAsync(l => l.TryGetProperty("error", out _));
        var end = await slow.TryNextAsync();

        var changes = received.Where(l => l.TryGetProperty("change", out _)).ToList();
        Assert.InRange(changes.Count, 0, 4);
        Assert.Null(end);
        var error = received[^1].GetProperty("error").GetString()!;
        var last = changes.Count == 0 ? 0 : ChangeId(changes[^1]);
        Assert.Contains($"from={last}", error, StringComparison.Ordinal);

        await using var resumed = await node.AttachAsync(slow.QueryId, $"?from={last}");
        await resumed.NextAsync();
        var rest = await resumed.NextAsync(500 - changes.Count);
        Assert.Equal(Enumerable.Range((int)last + 1, 500 - changes.Count).Select(i => (long)i), rest.Select(ChangeId));
    }

    [Fact]
    public async Task A_change_id_the_subscription_never_handed_out_is_400()
    {
        await using var node = await SubscriptionApiNode.StartAsync();
        string id;
        await using (var first = await node.SubscribeAsync(ItemsQuery))
        {
            id = first.QueryId;
        }

        var (status, body) = await HttpJson.GetAsync(node.Http, $"/v1/subscriptions/{id}?from=99");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("99", body.GetProperty("error").GetString()!, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"SELECT * FROM no_such_table\"", "no_such_table")]
    [InlineData("[\"SELECT 1\", \"SELECT 2\"]", "")]
    public async Task A_statement_that_is_not_a_valid_read_only_query_is_400(string body, string mentions)
    {
        await using var node = await SubscriptionApiNode.StartAsync();

        var (status, json) = await HttpJson.PostAsync(node.Http, "/v1/subscriptions", body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(mentions, json.GetProperty("error").GetString()!, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("?from=-1")]
    [InlineData("?from=1.5")]
    public async Task A_malformed_query_string_is_400(string query)
    {
        await using var node = await SubscriptionApiNode.StartAsync();
        string id;
        await using (var first = await node.SubscribeAsync(ItemsQuery))
        {
            id = first.QueryId;
        }

        var (status, json) = await HttpJson.GetAsync(node.Http, $"/v1/subscriptions/{id}{query}");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.False(string.IsNullOrWhiteSpace(json.GetProperty("error").GetString()));
    }

    [Fact]
    public async Task Wrong_methods_are_405()
    {
        await using var node = await SubscriptionApiNode.StartAsync();

        var (list, _) = await HttpJson.GetAsync(node.Http, "/v1/subscriptions");
        using var delete = await node.Http.DeleteAsync(new Uri("/v1/subscriptions/abc", UriKind.Relative));
        var (updates, _) = await HttpJson.GetAsync(node.Http, "/v1/updates/items");

        Assert.Equal(HttpStatusCode.MethodNotAllowed, list);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, delete.StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, updates);
    }

    [Fact]
    public async Task Without_a_bearer_token_subscribing_is_401_when_tokens_are_configured()
    {
        await using var node = await SubscriptionApiNode.StartAsync(o => o.Api.Authz.BearerTokens.Add("secret"));

        var (status, _) = await HttpJson.PostAsync(node.Http, "/v1/subscriptions", JsonSerializer.Serialize(ItemsQuery));
        node.Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "secret");
        await using var stream = await node.SubscribeAsync(ItemsQuery);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal(HttpStatusCode.OK, stream.Status);
    }

    [Fact]
    public async Task Without_a_subscription_actor_the_endpoints_answer_503()
    {
        await using var node = await SubscriptionApiNode.StartAsync();
        var running = node.Node;
        var context = new ApiContext(running.Actors.Storage, running.Store, running.Options, _ => throw new InvalidOperationException(), running.Actors.Membership, Subscriptions: null);
        await using var api = ApiHost.Build(context, NullLoggerFactory.Instance, web => web.UseTestServer());
        await api.StartAsync();
        using var http = api.GetTestServer().CreateClient();

        var (subscribe, body) = await HttpJson.PostAsync(http, "/v1/subscriptions", JsonSerializer.Serialize(ItemsQuery));
        var (attach, _) = await HttpJson.GetAsync(http, "/v1/subscriptions/abc");
        var (updates, _) = await HttpJson.PostAsync(http, "/v1/updates/items", "{}");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, subscribe);
        Assert.False(string.IsNullOrWhiteSpace(body.GetProperty("error").GetString()));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, attach);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, updates);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Stopping_the_node_ends_an_open_stream_with_where_to_resume(bool kestrel)
    {
        await using var node = await SubscriptionApiNode.StartAsync(kestrel: kestrel);
        var stream = await node.SubscribeAsync(ItemsQuery);
        await stream.UntilAsync(IsEoq);

        var started = System.Diagnostics.Stopwatch.StartNew();
        var stopping = node.StopAsync();
        var last = await stream.TryNextAsync();
        await stopping.WaitAsync(SubscriptionApiStream.Deadline);

        // A graceful stop waits for open requests (30 s by default): a live stream must not hold it.
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"stopping took {started.Elapsed}");
        await stream.DisposeAsync();

        Assert.NotNull(last);
        Assert.Contains("from=0", last.Value.GetProperty("error").GetString()!, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Stopping_the_node_tells_a_resumed_stream_the_last_change_it_was_given(long from)
    {
        // On Kestrel the API stops before the actors, so the line comes from the endpoint itself.
        await using var node = await SubscriptionApiNode.StartAsync(kestrel: true);
        string id;
        await using (var first = await node.SubscribeAsync(ItemsQuery))
        {
            id = first.QueryId;
            await first.UntilAsync(IsEoq);
            await node.WriteAsync("INSERT INTO items (id, name) VALUES (1, 'one')");
            await first.NextAsync();
            await node.WriteAsync("INSERT INTO items (id, name) VALUES (2, 'two')");
            Assert.Equal(2, ChangeId(await first.NextAsync()));
        }

        await using var stream = await node.AttachAsync(id, $"?from={from}");
        await stream.NextAsync(1 + (int)(2 - from));
        var stopping = node.StopAsync();
        var last = await stream.NextAsync();
        await stopping.WaitAsync(SubscriptionApiStream.Deadline);

        Assert.Contains("resume with from=2", last.GetProperty("error").GetString()!, StringComparison.Ordinal);
    }
}
