using System.Net;
using System.Text.Json;

namespace Corrosion.Agent.Tests.Api;

public sealed class TransactionsApiTests
{
    private const string Schema = """
        CREATE TABLE items (id INTEGER NOT NULL PRIMARY KEY, name TEXT, data BLOB, score REAL);
        """;

    private static async Task<long> CountAsync(TestNode node, string table = "items")
    {
        var (_, lines) = await HttpJson.PostNdJsonAsync(node.Http, "/v1/queries", JsonSerializer.Serialize($"SELECT count(*) FROM {table}"));
        return lines.Single(l => l.TryGetProperty("row", out _)).GetProperty("row")[1][0].GetInt64();
    }

    [Fact]
    public async Task Concurrent_requests_each_get_their_own_version_and_answer_whatever_shares_a_commit()
    {
        await using var node = await TestNode.StartAsync(schema: Schema);

        // 32 at once: the writer groups those waiting together; a duplicate key in the middle fails alone.
        var answers = await Task.WhenAll(Enumerable.Range(1, 32).Select(i =>
            HttpJson.PostAsync(node.Http, "/v1/transactions", JsonSerializer.Serialize(new object[] { new object[] { "INSERT INTO items (id, name) VALUES (?, 'x')", new[] { i == 16 ? 1 : i } } }))));

        var ok = answers.Where(a => a.Status == HttpStatusCode.OK).ToList();
        var refused = Assert.Single(answers, a => a.Status != HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.Contains("UNIQUE", refused.Body.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(Enumerable.Range(1, 31).Select(v => (long)v), ok.Select(a => a.Body.GetProperty("version").GetInt64()).Order());
        Assert.Equal(31, await CountAsync(node));
    }

    [Fact]
    public async Task Every_statement_shape_runs_in_one_transaction_with_one_version()
    {
        await using var node = await TestNode.StartAsync(schema: Schema);
        var body = """
            [
              "INSERT INTO items (id, name) VALUES (1, 'plain')",
              ["INSERT INTO items (id, name) VALUES (?, ?)", [2, "positional"]],
              ["INSERT INTO items (id, name) VALUES (:id, :name)", {"id": 3, "name": "named"}],
              {"query": "INSERT INTO items (id, name, data, score) VALUES (?, ?, ?, ?)", "params": [4, "object", [1, 2, 255], 1.5]}
            ]
            """;
        var (status, json) = await HttpJson.PostAsync(node.Http, "/v1/transactions", body);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(4, json.GetProperty("results").GetArrayLength());
        Assert.All(json.GetProperty("results").EnumerateArray(), r => Assert.Equal(1, r.GetProperty("rows_affected").GetInt64()));
        Assert.Equal(1, json.GetProperty("version").GetInt64());
        Assert.Equal(node.Node.ActorId.ToString(), json.GetProperty("actor_id").GetString());
        Assert.Equal(4, await CountAsync(node));
    }

    [Fact]
    public async Task Versions_increase_per_transaction()
    {
        await using var node = await TestNode.StartAsync(schema: Schema);
        var (_, first) = await HttpJson.PostAsync(node.Http, "/v1/transactions", """["INSERT INTO items (id) VALUES (1)"]""");
        var (_, second) = await HttpJson.PostAsync(node.Http, "/v1/transactions", """["UPDATE items SET name = 'x' WHERE id = 1"]""");

        Assert.Equal(1, first.GetProperty("version").GetInt64());
        Assert.Equal(2, second.GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task Version_is_null_when_no_replicated_row_changed()
    {
        await using var node = await TestNode.StartAsync(schema: Schema);
        var (status, json) = await HttpJson.PostAsync(node.Http, "/v1/transactions", """["UPDATE items SET name = 'x' WHERE id = 42"]""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(JsonValueKind.Null, json.GetProperty("version").ValueKind);
        Assert.Equal(0, json.GetProperty("results")[0].GetProperty("rows_affected").GetInt64());
    }

    [Fact]
    public async Task A_failing_statement_rolls_back_the_whole_transaction()
    {
        await using var node = await TestNode.StartAsync(schema: Schema);
        var (status, json) = await HttpJson.PostAsync(node.Http, "/v1/transactions", """
            ["INSERT INTO items (id, name) VALUES (1, 'a')", "INSERT INTO no_such_table VALUES (1)"]
            """);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("statement 1", json.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, await CountAsync(node));
    }

    [Theory]
    [InlineData("{not json", "malformed JSON")]
    [InlineData("[]", "empty")]
    [InlineData("{\"query\": \"SELECT 1\"}", "array")]
    [InlineData("[42]", "statement 0")]
    [InlineData("[[\"INSERT INTO items (id) VALUES (?)\", [[1, 2, 300]]]]", "byte")]
    [InlineData("[{\"query\": \"INSERT INTO items (id) VALUES (1)\", \"bogus\": 1}]", "bogus")]
    [InlineData("[\"INSERT INTO items (id) VALUES (:id)\"]", "id")]
    [InlineData("[[\"INSERT INTO items (id) VALUES (:id)\", {\"id\": 1, \"nope\": 2}]]", "nope")]
    [InlineData("[\"INSERT INTO items (id) VALUES (1))\"]", "syntax error")]
    [InlineData("[[\"INSERT INTO items (id) VALUES (?)\", [1, 2]]]", "too many parameters")]
    [InlineData("[\"INSERT INTO items (id) VALUES (?)\"]", "missing value")]
    [InlineData("[\"INSERT INTO items (id) VALUES (1)\", \"DROP TABLE items\"]", "schema changes are not allowed")]
    [InlineData("[\"INSERT INTO items (id) VALUES (1)\", \"ALTER TABLE items ADD COLUMN x TEXT\"]", "schema changes are not allowed")]
    [InlineData("[\"INSERT INTO items (id) VALUES (1)\", \"CREATE TABLE other (id INTEGER PRIMARY KEY)\"]", "schema changes are not allowed")]
    [InlineData("[\"INSERT INTO items (id) VALUES (1)\", \"DELETE FROM __corro_bookkeeping\"]", "belongs to the store")]
    [InlineData("[\"INSERT INTO items (id) VALUES (1)\", \"ATTACH DATABASE ':memory:' AS x\"]", "ATTACH")]
    [InlineData("[\"INSERT INTO items (id) VALUES (1)\", \"PRAGMA journal_mode = DELETE\"]", "PRAGMA")]
    public async Task Bad_input_is_a_400_with_an_error_and_changes_nothing(string body, string expected)
    {
        await using var node = await TestNode.StartAsync(schema: Schema);
        var (status, json) = await HttpJson.PostAsync(node.Http, "/v1/transactions", body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(expected, json.GetProperty("error").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, await CountAsync(node));
    }

    [Fact]
    public async Task An_oversized_body_is_refused_with_413()
    {
        await using var node = await TestNode.StartAsync(o => o.Api.MaxBodySize = new Hocon.ByteSize(1024), Schema);
        var big = JsonSerializer.Serialize(new[] { $"INSERT INTO items (id, name) VALUES (1, '{new string('x', 4096)}')" });
        var (status, json) = await HttpJson.PostAsync(node.Http, "/v1/transactions", big);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("max_body_size", json.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, await CountAsync(node));
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-1")]
    [InlineData("0")]
    public async Task An_invalid_timeout_is_a_400(string timeout)
    {
        await using var node = await TestNode.StartAsync(schema: Schema);
        var (status, json) = await HttpJson.PostAsync(node.Http, $"/v1/transactions?timeout={timeout}", """["INSERT INTO items (id) VALUES (1)"]""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("timeout", json.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_transaction_that_outruns_its_timeout_is_rolled_back()
    {
        await using var node = await TestNode.StartAsync(schema: Schema);
        // A recursive CTE that runs for far longer than the 50 ms allowed.
        var body = """
            ["INSERT INTO items (id) VALUES (1)",
             "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) INSERT INTO items (id) SELECT x + 1 FROM c WHERE x > 1e15 LIMIT 1"]
            """;
        var (status, json) = await HttpJson.PostAsync(node.Http, "/v1/transactions?timeout=0.05", body);

        Assert.Equal(HttpStatusCode.RequestTimeout, status);
        Assert.Contains("nothing was applied", json.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, await CountAsync(node));
    }
}
