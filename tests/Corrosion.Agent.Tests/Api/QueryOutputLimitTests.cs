using System.Net;
using System.Text.Json;
using Corrosion.Agent.Node;
using Corrosion.Hocon;

namespace Corrosion.Agent.Tests.Api;

/// <summary>
/// <c>api.max_query_rows</c> and <c>api.max_query_bytes</c>: a query's answer is bounded, not only its
/// SQLite time. Found by the HTTP fuzzer (seed 20261206, input #2361): an endless recursive CTE made
/// millions of rows within its one second of SQLite time, and streaming them took over 20 s.
/// </summary>
public sealed class QueryOutputLimitTests
{
    private const string Schema = "CREATE TABLE items (id INTEGER NOT NULL PRIMARY KEY, name TEXT);";
    private const string EndlessCte = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x, id FROM c, items";

    private static async Task<TestNode> StartAsync(Action<ApiOptions> api)
    {
        // A time limit that cannot stop the query first: only the output bound may.
        var node = await TestNode.StartAsync(o =>
        {
            o.EnableReplication = false;
            o.Api.DefaultTimeout = TimeSpan.FromHours(1);
            api(o.Api);
        }, Schema);
        await HttpJson.PostAsync(node.Http, "/v1/transactions", """["INSERT INTO items (id, name) VALUES (1, 'one')"]""");
        return node;
    }

    [Fact]
    public async Task Fuzz_input_2361_an_endless_recursive_cte_ends_after_max_query_rows_with_an_error_line()
    {
        await using var node = await StartAsync(a => a.MaxQueryRows = 10_000);

        var (status, lines) = await HttpJson.PostNdJsonAsync(node.Http, "/v1/queries", JsonSerializer.Serialize(EndlessCte));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["x", "id"], lines[0].GetProperty("columns").EnumerateArray().Select(c => c.GetString()));
        var rows = lines.Skip(1).SkipLast(1).ToList();
        Assert.Equal(10_000, rows.Count);
        Assert.All(rows, r => Assert.True(r.TryGetProperty("row", out _), r.ToString()));
        Assert.Equal(10_000, rows[^1].GetProperty("row")[1][0].GetInt64());
        var error = lines[^1].GetProperty("error").GetString();
        Assert.Contains("api.max_query_rows", error, StringComparison.Ordinal);
        Assert.Contains("10000 rows", error, StringComparison.Ordinal);
        Assert.False(lines[^1].TryGetProperty("eoq", out _));
        await AssertUnchangedAsync(node);
    }

    [Fact]
    public async Task An_answer_of_exactly_max_query_rows_ends_normally()
    {
        await using var node = await StartAsync(a => a.MaxQueryRows = 100);

        var (_, lines) = await HttpJson.PostNdJsonAsync(node.Http, "/v1/queries",
            JsonSerializer.Serialize("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100) SELECT x FROM c"));

        Assert.Equal(100, lines.Count(l => l.TryGetProperty("row", out _)));
        Assert.True(lines[^1].TryGetProperty("eoq", out _), lines[^1].ToString());
    }

    [Fact]
    public async Task An_endless_query_of_large_values_ends_after_max_query_bytes_with_an_error_line()
    {
        await using var node = await StartAsync(a => a.MaxQueryBytes = new ByteSize(100 * 1024));

        var (status, lines) = await HttpJson.PostNdJsonAsync(node.Http, "/v1/queries",
            JsonSerializer.Serialize("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x, printf('%.1000c', 'v') FROM c"));

        Assert.Equal(HttpStatusCode.OK, status);
        // 8 bytes for x, 1000 for the text: 101 rows fit in 100 KiB (102,400 bytes), the 102nd would not.
        Assert.Equal(101, lines.Count(l => l.TryGetProperty("row", out _)));
        Assert.Contains("api.max_query_bytes", lines[^1].GetProperty("error").GetString(), StringComparison.Ordinal);
        await AssertUnchangedAsync(node);
    }

    [Fact]
    public async Task Zero_turns_both_limits_off()
    {
        await using var node = await StartAsync(a =>
        {
            a.MaxQueryRows = 0;
            a.MaxQueryBytes = new ByteSize(0);
        });

        var (_, lines) = await HttpJson.PostNdJsonAsync(node.Http, "/v1/queries",
            JsonSerializer.Serialize("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5000) SELECT x FROM c"));

        Assert.Equal(5000, lines.Count(l => l.TryGetProperty("row", out _)));
        Assert.True(lines[^1].TryGetProperty("eoq", out _), lines[^1].ToString());
    }

    [Theory]
    [InlineData("api { max_query_rows = -1 }", "api.max_query_rows")]
    [InlineData("api { max_query_bytes = -1 }", "api.max_query_bytes")]
    public void A_negative_limit_is_a_start_up_error_naming_the_key(string hocon, string key)
    {
        using var dir = new Support.TempDirectory();
        var file = dir.File("node.conf");
        File.WriteAllText(file, hocon);

        var error = Assert.ThrowsAny<Exception>(() => NodeConfiguration.Load(file));

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_defaults_are_a_million_rows_and_256_MiB()
    {
        var options = NodeConfiguration.Load(null);

        Assert.Equal(1_000_000, options.Api.MaxQueryRows);
        Assert.Equal(256L * 1024 * 1024, options.Api.MaxQueryBytes.Bytes);
    }

    private static async Task AssertUnchangedAsync(TestNode node)
    {
        var (_, lines) = await HttpJson.PostNdJsonAsync(node.Http, "/v1/queries", "\"SELECT id, name FROM items\"");
        Assert.Equal("[1,[1,\"one\"]]", lines[1].GetProperty("row").GetRawText());
        Assert.True(lines[^1].TryGetProperty("eoq", out _));
    }
}
