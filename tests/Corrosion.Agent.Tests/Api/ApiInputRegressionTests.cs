using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Corrosion.Hocon;

namespace Corrosion.Agent.Tests.Api;

/// <summary>Inputs the fuzzer (tests/Corrosion.Fuzz.Tests) found answered wrongly; each is a 4xx that changes nothing.</summary>
public sealed class ApiInputRegressionTests
{
    private const string Schema = "CREATE TABLE a (id INTEGER NOT NULL PRIMARY KEY, v TEXT);";

    private static async Task<(HttpStatusCode Status, string Error)> PostBytesAsync(TestNode node, string path, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await node.Http.PostAsync(new Uri(path, UriKind.Relative), content);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text.Split('\n')[0]).RootElement.GetProperty("error").GetString()!);
    }

    [Theory]
    [InlineData("/v1/transactions")]
    [InlineData("/v1/queries")]
    [InlineData("/v1/subscriptions")]
    [InlineData("/v1/table_stats")]
    public async Task Invalid_utf8_in_a_json_string_is_a_400_not_a_500(string path)
    {
        await using var node = await TestNode.StartAsync(o => o.EnableReplication = false, Schema);
        // ["INSERT INTO a (id, v) VALUES (1, '\xff')"] with a lone 0xFF byte inside the string.
        byte[] body = [.. "[\"INSERT INTO a (id, v) VALUES (1, '"u8, 0xFF, .. "')\"]"u8];

        var (status, error) = await PostBytesAsync(node, path, body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("not valid UTF-8", error, StringComparison.Ordinal);
        Assert.Contains("offset 36", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invalid_utf8_property_name_is_a_400()
    {
        await using var node = await TestNode.StartAsync(o => o.EnableReplication = false, Schema);
        byte[] body = [.. "[{\"que"u8, 0xC0, 0xAF, .. "ry\": \"SELECT 1\"}]"u8];

        var (status, _) = await PostBytesAsync(node, "/v1/transactions", body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
    }

    [Theory]
    [InlineData("/v1/queries", "[\"SELECT ?\", [\"\\ud800\"]]")]
    [InlineData("/v1/transactions", "[[\"INSERT INTO a (id, v) VALUES (1, ?)\", [\"x\\udc00\"]]]")]
    [InlineData("/v1/subscriptions", "{\"query\": \"SELECT id FROM a\", \"named_params\": {\"\\ud800\": 1}}")]
    public async Task An_escaped_lone_surrogate_is_a_400_not_a_500(string path, string json)
    {
        await using var node = await TestNode.StartAsync(o => o.EnableReplication = false, Schema);

        var (status, error) = await PostBytesAsync(node, path, System.Text.Encoding.UTF8.GetBytes(json));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("not valid Unicode", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/v1/queries", "\"--\"")]
    [InlineData("/v1/queries", "\"/* nothing */\"")]
    [InlineData("/v1/subscriptions", "\"-- only a comment\"")]
    [InlineData("/v1/transactions", "[\"-- only a comment\"]")]
    public async Task Sql_of_only_comments_is_a_400_and_does_not_crash_the_process(string path, string json)
    {
        await using var node = await TestNode.StartAsync(o => o.EnableReplication = false, Schema);

        var (status, error) = await PostBytesAsync(node, path, System.Text.Encoding.UTF8.GetBytes(json));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("statement", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_endless_query_ends_its_stream_with_an_error_at_the_timeout()
    {
        // No output bound, so only the time limit can end the query (a fast machine reaches
        // api.max_query_rows within 0.5 s: QueryOutputLimitTests covers that bound).
        await using var node = await TestNode.StartAsync(
            o =>
            {
                o.EnableReplication = false;
                o.Api.MaxQueryRows = 0;
                o.Api.MaxQueryBytes = new ByteSize(0);
            },
            Schema);
        await HttpJson.PostAsync(node.Http, "/v1/transactions", """["INSERT INTO a (id) VALUES (1)"]""");

        var (status, lines) = await HttpJson.PostNdJsonAsync(node.Http, "/v1/queries?timeout=0.5",
            JsonSerializer.Serialize("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x, id FROM c, a"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("ran longer than 0.5 s", lines[^1].GetProperty("error").GetString(), StringComparison.Ordinal);
    }
}
