using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Tests.Storage;
using Corrosion.Hocon;

namespace Corrosion.Agent.Tests.Api;

/// <summary>
/// <c>db.max_value_size</c>: no local write stores, and no query builds, a string or blob larger
/// (found by the HTTP fuzzer: <c>SELECT randomblob(100000000)</c> answered ~400 MB of JSON).
/// </summary>
public sealed class ValueSizeLimitTests
{
    private const string Schema = "CREATE TABLE items (id INTEGER NOT NULL PRIMARY KEY, name TEXT, data BLOB);";
    private const int Limit = 64 * 1024;

    private static Task<TestNode> StartAsync() => TestNode.StartAsync(o => o.Db.MaxValueSize = new ByteSize(Limit), Schema);

    [Fact]
    public async Task A_parameter_over_the_limit_is_a_400_naming_the_setting_and_nothing_is_applied()
    {
        await using var node = await StartAsync();
        var big = JsonSerializer.Serialize(new string('x', Limit + 1));

        var (status, body) = await HttpJson.PostAsync(node.Http, "/v1/transactions",
            $"""["INSERT INTO items (id, name) VALUES (1, 'small')", ["INSERT INTO items (id, name) VALUES (2, ?)", [{big}]]]""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("db.max_value_size", body.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, await CountAsync(node));
    }

    [Fact]
    public async Task A_value_built_in_sql_over_the_limit_is_a_400_and_nothing_is_applied()
    {
        await using var node = await StartAsync();

        var (status, body) = await HttpJson.PostAsync(node.Http, "/v1/transactions", $"""["INSERT INTO items (id, data) VALUES (1, zeroblob({Limit + 1}))"]""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("too big", body.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, await CountAsync(node));
    }

    [Fact]
    public async Task A_value_under_the_limit_is_written_and_read_back()
    {
        await using var node = await StartAsync();
        var text = new string('y', Limit / 2);

        var (status, body) = await HttpJson.PostAsync(node.Http, "/v1/transactions",
            $"""[["INSERT INTO items (id, name) VALUES (1, ?)", [{JsonSerializer.Serialize(text)}]]]""");
        var (_, lines) = await HttpJson.PostNdJsonAsync(node.Http, "/v1/queries", "\"SELECT name FROM items\"");

        Assert.True(status == HttpStatusCode.OK, body.ToString());
        Assert.Equal(text, lines[1].GetProperty("row")[1][0].GetString());
    }

    [Fact]
    public async Task A_query_that_builds_a_huge_value_ends_at_once_with_an_error_naming_the_setting()
    {
        // The default limit (8 MiB).
        await using var node = await TestNode.StartAsync(schema: Schema);
        var clock = Stopwatch.StartNew();

        var (_, lines) = await HttpJson.PostNdJsonAsync(node.Http, "/v1/queries", "\"SELECT randomblob(100000000)\"");

        Assert.Contains("db.max_value_size", lines[^1].GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(lines, l => l.TryGetProperty("row", out _));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"took {clock.Elapsed}");
    }

    [Fact]
    public void A_peers_value_over_the_local_limit_still_merges_but_is_not_answered_by_local_queries()
    {
        using var stores = new StoreBuilder();
        var origin = stores.Open(stores.Options("origin") with { MaxValueSize = 4 * Limit });
        var node = stores.Open(stores.Options("node") with { MaxValueSize = Limit });
        origin.Exec("INSERT INTO items (id, data) VALUES (1, zeroblob(?))", 2 * Limit);

        node.Apply(origin.AllChanges());

        // Local writes of that size are still refused.
        var error = Assert.Throws<StatementException>(() => node.Exec("INSERT INTO items (id, data) VALUES (2, zeroblob(?))", 2 * Limit));
        Assert.Contains("db.max_value_size", error.Message, StringComparison.Ordinal);
        Assert.Equal(2 * Limit, origin.Scalar("SELECT length(data) FROM items WHERE id = 1").AsInteger);
        Assert.Equal(2 * Limit, node.Scalar("SELECT length(data) FROM items WHERE id = 1").AsInteger);

        // The node's queries do not answer a value over its limit (hence: the same value on every
        // node); replication is not stuck on it, and the peer that wrote it serves it.
        var read = Assert.Throws<SqlException>(() => node.Scalar("SELECT data FROM items WHERE id = 1"));
        Assert.Contains("db.max_value_size", read.Message, StringComparison.Ordinal);
        Assert.Equal(2 * Limit, origin.Scalar("SELECT data FROM items WHERE id = 1").AsBlob.Length);
    }

    private static async Task<long> CountAsync(TestNode node)
    {
        var (_, lines) = await HttpJson.PostNdJsonAsync(node.Http, "/v1/queries", "\"SELECT count(*) FROM items\"");
        return lines[1].GetProperty("row")[1][0].GetInt64();
    }
}
