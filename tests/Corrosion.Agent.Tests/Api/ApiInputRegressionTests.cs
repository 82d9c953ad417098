using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

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
}
