using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Corrosion.Agent.Node;
using Corrosion.Agent.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Corrosion.Agent.Tests.Api;

/// <summary>
/// <c>/v1/transactions</c> over Kestrel and real sockets (the path the http bench measures): JSON
/// answers carry a Content-Length (not chunked), request bodies of any length are read whole from
/// pooled buffers, with or without a declared length, and concurrent requests each get their own
/// version or error.
/// </summary>
public sealed class TransactionsWireTests : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _dir = new();
    private CorrosionNode? _node;
    private HttpClient? _http;

    private HttpClient Http => _http!;

    public async Task InitializeAsync()
    {
        var schema = _dir.File("schema.sql");
        await File.WriteAllTextAsync(schema, "CREATE TABLE items (id INTEGER NOT NULL PRIMARY KEY, name TEXT);");
        var options = new NodeOptions();
        options.Db.Path = _dir.File("node.db");
        options.Db.SchemaPaths.Add(schema);
        options.Api.Addr = "127.0.0.1:0";
        options.Api.MaxBodySize = new Hocon.ByteSize(64 * 1024);
        options.EnableReplication = false;
        _node = await CorrosionNode.StartAsync(options, NullLoggerFactory.Instance);
        _http = new HttpClient { BaseAddress = _node.ApiAddress };
    }

    public async Task DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }
    }

    public void Dispose()
    {
        _http?.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task Answers_carry_a_content_length_and_are_not_chunked()
    {
        using var ok = await PostAsync("""["INSERT INTO items (id, name) VALUES (1, 'a')"]""", chunked: false);
        using var refused = await PostAsync("""["INSERT INTO nowhere VALUES (1)"]""", chunked: false);

        foreach (var (response, status) in new[] { (ok, HttpStatusCode.OK), (refused, HttpStatusCode.BadRequest) })
        {
            Assert.Equal(status, response.StatusCode);
            var body = await response.Content.ReadAsByteArrayAsync();
            Assert.NotEqual(true, response.Headers.TransferEncodingChunked);
            Assert.Equal(body.Length, response.Content.Headers.ContentLength);
            using var json = JsonDocument.Parse(body);
            Assert.True(json.RootElement.TryGetProperty(status == HttpStatusCode.OK ? "version" : "error", out _), Encoding.UTF8.GetString(body));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_body_larger_than_the_first_buffer_is_read_whole_with_or_without_a_declared_length(bool chunked)
    {
        // Larger than the 4 KiB the reader starts with when no length is declared: it must grow.
        var name = new string('n', 20_000);
        using var response = await PostAsync(JsonSerializer.Serialize(new object[] { new object[] { "INSERT INTO items (id, name) VALUES (?, ?)", new object[] { 7, name } } }), chunked);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var query = await Http.PostAsync(new Uri("/v1/queries", UriKind.Relative), Json("\"SELECT name FROM items WHERE id = 7\"", chunked: false));
        Assert.Contains(name, await query.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_body_over_the_limit_is_a_413_with_or_without_a_declared_length(bool chunked)
    {
        var body = JsonSerializer.Serialize(new[] { $"INSERT INTO items (id, name) VALUES (1, '{new string('x', 100_000)}')" });
        using var response = await PostAsync(body, chunked);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("max_body_size", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concurrent_requests_each_get_their_own_version_or_their_own_error()
    {
        // 64 at once over 64 connections, every eighth a duplicate key (of id 1) that fails alone.
        using var first = await PostAsync("""["INSERT INTO items (id, name) VALUES (1, 'first')"]""", chunked: false);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var answers = await Task.WhenAll(Enumerable.Range(2, 64).Select(async id =>
        {
            var key = id % 8 == 0 ? 1 : id;
            using var response = await PostAsync($$"""[["INSERT INTO items (id, name) VALUES (?, 'x')", [{{key}}]]]""", chunked: false);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            return (Id: id, response.StatusCode, Json: json.RootElement.Clone());
        }));

        var failed = answers.Where(a => a.Id % 8 == 0).ToList();
        Assert.All(failed, a =>
        {
            Assert.Equal(HttpStatusCode.BadRequest, a.StatusCode);
            Assert.Contains("UNIQUE", a.Json.GetProperty("error").GetString(), StringComparison.Ordinal);
        });
        var committed = answers.Where(a => a.Id % 8 != 0).ToList();
        Assert.All(committed, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        // Versions 2.. in some order: each transaction its own, none shared, none skipped.
        Assert.Equal(Enumerable.Range(2, committed.Count).Select(v => (long)v), committed.Select(a => a.Json.GetProperty("version").GetInt64()).Order());
        using var count = await Http.PostAsync(new Uri("/v1/queries", UriKind.Relative), Json("\"SELECT count(*) FROM items\"", chunked: false));
        Assert.Contains($"[{1 + committed.Count}]", await count.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private async Task<HttpResponseMessage> PostAsync(string body, bool chunked)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/v1/transactions", UriKind.Relative)) { Content = Json(body, chunked) };
        // Without a declared length the body goes chunked.
        request.Headers.TransferEncodingChunked = chunked;
        return await Http.SendAsync(request);
    }

    private static ByteArrayContent Json(string body, bool chunked)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (chunked)
        {
            content.Headers.ContentLength = null;
        }

        return content;
    }
}
