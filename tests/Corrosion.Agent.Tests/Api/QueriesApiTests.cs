using System.Net;
using System.Text.Json;

namespace Corrosion.Agent.Tests.Api;

public sealed class QueriesApiTests
{
    private const string Schema = "CREATE TABLE items (id INTEGER NOT NULL PRIMARY KEY, name TEXT, data BLOB);";

    [Fact]
    public async Task A_query_streams_columns_rows_and_end_of_query()
    {
        await using var node = await TestNode.StartAsync(schema: Schema);
        await HttpJson.PostAsync(node.Http, "/v1/transactions", """
            [["INSERT INTO items (id, name, data) VALUES (?, ?, ?)", [1, "one", [0, 255]]],
             ["INSERT INTO items (id, name) VALUES (?, ?)", [2, "two"]]]
            """);

        var (status, lines) = await HttpJson.PostNdJsonAsync(node.Http, "/v1/queries", """["SELECT id, name, data FROM items WHERE id >= ? ORDER BY id", [1]]""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(4, lines.Count);
        Assert.Equal(["id", "name", "data"], lines[0].GetProperty("columns").EnumerateArray().Select(c => c.GetString()));
        var first = lines[1].GetProperty("row");
        Assert.Equal(1, first[0].GetInt64());
        Assert.Equal("one", first[1][1].GetString());
        Assert.Equal([0, 255], first[1][2].EnumerateArray().Select(b => b.GetInt32()));
        Assert.Equal(JsonValueKind.Null, lines[2].GetProperty("row")[1][2].ValueKind);
        Assert.True(lines[3].GetProperty("eoq").GetProperty("time").GetDouble() >= 0);
    }

    [Theory]
    [InlineData("\"INSERT INTO items (id) VALUES (9)\"")]
    [InlineData("\"DELETE FROM items\"")]
    [InlineData("\"CREATE TABLE x (a)\"")]
    public async Task A_write_sent_to_queries_is_refused_and_changes_nothing(string body)
    {
        await using var node = await TestNode.StartAsync(schema: Schema);
        await HttpJson.PostAsync(node.Http, "/v1/transactions", """["INSERT INTO items (id) VALUES (1)"]""");

        var (status, lines) = await HttpJson.PostNdJsonAsync(node.Http, "/v1/queries", body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("read", lines.Single().GetProperty("error").GetString(), StringComparison.OrdinalIgnoreCase);
        var (_, count) = await HttpJson.PostNdJsonAsync(node.Http, "/v1/queries", "\"SELECT count(*) FROM items\"");
        Assert.Equal(1, count[1].GetProperty("row")[1][0].GetInt64());
    }

    [Fact]
    public async Task Invalid_sql_is_a_400_with_sqlites_message()
    {
        await using var node = await TestNode.StartAsync(schema: Schema);
        var (status, lines) = await HttpJson.PostNdJsonAsync(node.Http, "/v1/queries", "\"SELEC nothing\"");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("syntax", lines.Single().GetProperty("error").GetString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task An_error_after_rows_have_started_arrives_in_the_stream()
    {
        await using var node = await TestNode.StartAsync(schema: Schema);
        await HttpJson.PostAsync(node.Http, "/v1/transactions", """["INSERT INTO items (id, name) VALUES (1, 'a')", "INSERT INTO items (id, name) VALUES (2, 'b')"]""");

        // abs() of the minimum integer overflows, on the second row only.
        var (status, lines) = await HttpJson.PostNdJsonAsync(node.Http, "/v1/queries",
            "\"SELECT id, CASE WHEN id = 2 THEN abs(-9223372036854775807 - 1) ELSE 0 END FROM items ORDER BY id\"");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(lines[0].TryGetProperty("columns", out _));
        Assert.True(lines[1].TryGetProperty("row", out _));
        Assert.Contains("overflow", lines[^1].GetProperty("error").GetString(), StringComparison.OrdinalIgnoreCase);
    }
    [Theory]
    [InlineData("\"BEGIN\"", "BEGIN")]
    [InlineData("\"SAVEPOINT s\"", "SAVEPOINT")]
    [InlineData("\"ATTACH ':memory:' AS m\"", "ATTACH")]
    [InlineData("\"PRAGMA case_sensitive_like=1\"", "case_sensitive_like")]
    [InlineData("\"PRAGMA query_only = 0\"", "query_only")]
    public async Task A_query_that_would_outlive_itself_on_its_connection_is_a_400_and_later_reads_see_new_writes(string body, string named)
    {
        // Found by the HTTP fuzzer: BEGIN kept its pooled connection's snapshot, and the reads it
        // served afterwards missed newer writes. One connection, so every read uses the one BEGIN hit.
        await using var node = await TestNode.StartAsync(o => o.Db.ReadPoolSize = 1, Schema);
        await HttpJson.PostAsync(node.Http, "/v1/transactions", """["INSERT INTO items (id, name) VALUES (1, 'a')"]""");

        var (status, lines) = await HttpJson.PostNdJsonAsync(node.Http, "/v1/queries", body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(named, lines.Single().GetProperty("error").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(1, await CountAsync(node, "SELECT count(*) FROM items WHERE name LIKE 'A'"));
        await HttpJson.PostAsync(node.Http, "/v1/transactions", """["INSERT INTO items (id, name) VALUES (2, 'b')"]""");
        Assert.Equal(2, await CountAsync(node, "SELECT count(*) FROM items"));
    }

    [Fact]
    public async Task After_a_refused_begin_concurrent_reads_on_every_pooled_connection_see_a_new_write()
    {
        await using var node = await TestNode.StartAsync(o => o.Db.ReadPoolSize = 4, Schema);
        await HttpJson.PostAsync(node.Http, "/v1/transactions", """["INSERT INTO items (id) VALUES (1)"]""");
        for (var i = 0; i < 8; i++)
        {
            var (status, _) = await HttpJson.PostNdJsonAsync(node.Http, "/v1/queries", "\"BEGIN\"");
            Assert.Equal(HttpStatusCode.BadRequest, status);
            await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => CountAsync(node, "SELECT count(*) FROM items")));
        }

        await HttpJson.PostAsync(node.Http, "/v1/transactions", """["INSERT INTO items (id) VALUES (2)"]""");

        var counts = await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => CountAsync(node, "SELECT count(*) FROM items")));
        Assert.All(counts, c => Assert.Equal(2, c));
    }

    [Theory]
    [InlineData("\"PRAGMA table_info(items)\"", 3)]
    [InlineData("\"SELECT name, type FROM pragma_table_info('items')\"", 3)]
    [InlineData("\"PRAGMA user_version\"", 1)]
    public async Task Introspection_pragmas_are_answered(string body, int rows)
    {
        await using var node = await TestNode.StartAsync(schema: Schema);

        var (status, lines) = await HttpJson.PostNdJsonAsync(node.Http, "/v1/queries", body);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(rows, lines.Count(l => l.TryGetProperty("row", out _)));
        Assert.True(lines[^1].TryGetProperty("eoq", out _));
    }

    private static async Task<long> CountAsync(TestNode node, string sql)
    {
        var (status, lines) = await HttpJson.PostNdJsonAsync(node.Http, "/v1/queries", JsonSerializer.Serialize(sql));
        Assert.Equal(HttpStatusCode.OK, status);
        return lines[1].GetProperty("row")[1][0].GetInt64();
    }
}
