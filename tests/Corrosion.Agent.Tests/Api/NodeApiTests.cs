using System.Net;
using System.Net.Http.Headers;

namespace Corrosion.Agent.Tests.Api;

public sealed class NodeApiTests
{
    private const string Schema = """
        CREATE TABLE a (id INTEGER NOT NULL PRIMARY KEY, v TEXT);
        CREATE TABLE b (id INTEGER NOT NULL PRIMARY KEY, v TEXT);
        """;

    [Fact]
    public async Task Health_reports_the_node_and_its_figures()
    {
        await using var node = await TestNode.StartAsync(schema: Schema);
        var (status, json) = await HttpJson.GetAsync(node.Http, "/v1/health");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("ok", json.GetProperty("status").GetString());
        Assert.Equal(0, json.GetProperty("response").GetProperty("gaps").GetInt64());
        Assert.Equal(1, json.GetProperty("response").GetProperty("members").GetInt32());
    }

    [Fact]
    public async Task Table_stats_counts_rows_and_names_unknown_tables()
    {
        await using var node = await TestNode.StartAsync(schema: Schema);
        await HttpJson.PostAsync(node.Http, "/v1/transactions", """["INSERT INTO a (id) VALUES (1)", "INSERT INTO a (id) VALUES (2)", "INSERT INTO b (id) VALUES (1)"]""");

        var (status, json) = await HttpJson.PostAsync(node.Http, "/v1/table_stats", """{"tables": ["a", "nope"]}""");
        var (_, all) = await HttpJson.PostAsync(node.Http, "/v1/table_stats", """{"tables": []}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(2, json.GetProperty("total_row_count").GetInt64());
        Assert.Equal(["nope"], json.GetProperty("invalid_tables").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(3, all.GetProperty("total_row_count").GetInt64());
    }

    [Fact]
    public async Task With_bearer_tokens_configured_a_request_without_one_gets_401()
    {
        await using var node = await TestNode.StartAsync(o => o.Api.Authz.BearerTokens.Add("s3cret"), Schema);

        var (anonymous, json) = await HttpJson.PostAsync(node.Http, "/v1/transactions", """["INSERT INTO a (id) VALUES (1)"]""");
        node.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "wrong");
        var (wrong, _) = await HttpJson.GetAsync(node.Http, "/v1/health");
        node.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret");
        var (right, _) = await HttpJson.GetAsync(node.Http, "/v1/health");
        var (_, stats) = await HttpJson.PostAsync(node.Http, "/v1/table_stats", "{}");

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous);
        Assert.Contains("bearer", json.GetProperty("error").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong);
        Assert.Equal(HttpStatusCode.OK, right);
        Assert.Equal(0, stats.GetProperty("total_row_count").GetInt64());
    }

    [Fact]
    public async Task Unknown_paths_and_wrong_methods_get_json_errors()
    {
        await using var node = await TestNode.StartAsync(schema: Schema);
        var (missing, missingJson) = await HttpJson.GetAsync(node.Http, "/v1/nope");
        var (wrongMethod, wrongJson) = await HttpJson.GetAsync(node.Http, "/v1/transactions");

        Assert.Equal(HttpStatusCode.NotFound, missing);
        Assert.True(missingJson.TryGetProperty("error", out _));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethod);
        Assert.Contains("POST", wrongJson.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_schema_the_demo_tables_exist()
    {
        await using var node = await TestNode.StartAsync();
        var (status, json) = await HttpJson.PostAsync(node.Http, "/v1/transactions", """
            ["INSERT INTO machines (id, region) VALUES ('m1', 'ams')", "INSERT INTO services (name, machine_id, port) VALUES ('web', 'm1', 80)"]
            """);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1, json.GetProperty("version").GetInt64());
    }
}
