using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Corrosion.Agent.Node;
using Corrosion.Agent.Tests.Support;

namespace Corrosion.Agent.Tests.Api;

/// <summary>api.authz.tokens: scopes (read &lt; write &lt; admin), table restrictions, token files, and the old bearer_tokens.</summary>
public sealed class ScopedTokenTests
{
    private const string Schema = """
        CREATE TABLE a (id INTEGER NOT NULL PRIMARY KEY, v TEXT);
        CREATE TABLE b (id INTEGER NOT NULL PRIMARY KEY, v TEXT);
        """;

    private static TokenOptions Token(string name, string scope, params string[] tables) =>
        new() { Name = name, Token = name + "-secret", Scope = scope, Tables = [.. tables] };

    private static Task<TestNode> StartAsync(params TokenOptions[] tokens) =>
        TestNode.StartAsync(o =>
        {
            o.EnableReplication = false;
            o.Api.Authz.Tokens.AddRange(tokens);
            o.Api.Authz.BearerTokens.Add("root-secret");
        }, Schema);

    private static async Task<(HttpStatusCode Status, string Body)> SendAsync(TestNode node, string? token, HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        using var response = await node.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (response.IsSuccessStatusCode && (path.StartsWith("/v1/updates", StringComparison.Ordinal) || path.StartsWith("/v1/subscriptions", StringComparison.Ordinal)))
        {
            // A live stream: the status is the answer; don't wait for its end.
            return (response.StatusCode, string.Empty);
        }

        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static Task<(HttpStatusCode Status, string Body)> PostAsync(TestNode node, string? token, string path, string json) =>
        SendAsync(node, token, HttpMethod.Post, path, json);

    private static Task<(HttpStatusCode Status, string Body)> GetAsync(TestNode node, string? token, string path) =>
        SendAsync(node, token, HttpMethod.Get, path);

    private static string Error(string body) => JsonDocument.Parse(body).RootElement.GetProperty("error").GetString()!;

    private static async Task<long> CountAsync(TestNode node, string table)
    {
        var (_, body) = await PostAsync(node, "root-secret", "/v1/queries", JsonSerializer.Serialize($"SELECT count(*) FROM {table}"));
        var row = body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).Single(l => l.TryGetProperty("row", out _));
        return row.GetProperty("row")[1][0].GetInt64();
    }

    [Fact]
    public async Task Without_a_token_or_with_an_unknown_one_every_endpoint_answers_401()
    {
        await using var node = await StartAsync(Token("reader", "read"));

        foreach (var token in new[] { null, "nope", "reader-secre", "reader-secret2" })
        {
            var (health, body) = await GetAsync(node, token, "/v1/health");
            var (query, _) = await PostAsync(node, token, "/v1/queries", "\"SELECT 1\"");
            var (missing, _) = await GetAsync(node, token, "/v1/nope");
            Assert.Equal(HttpStatusCode.Unauthorized, health);
            Assert.Equal(HttpStatusCode.Unauthorized, query);
            Assert.Equal(HttpStatusCode.Unauthorized, missing);
            Assert.Contains("bearer token", Error(body), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_read_token_reads_but_may_not_write_or_administer()
    {
        await using var node = await StartAsync(Token("reader", "read"));
        await PostAsync(node, "root-secret", "/v1/transactions", """["INSERT INTO a (id, v) VALUES (1, 'x')"]""");

        var (query, _) = await PostAsync(node, "reader-secret", "/v1/queries", "\"SELECT v FROM a\"");
        var (health, _) = await GetAsync(node, "reader-secret", "/v1/health");
        var (stats, _) = await PostAsync(node, "reader-secret", "/v1/table_stats", "{}");
        var (subscribe, _) = await PostAsync(node, "reader-secret", "/v1/subscriptions?skip_rows=true", "\"SELECT id FROM a\"");
        var (write, writeBody) = await PostAsync(node, "reader-secret", "/v1/transactions", """["INSERT INTO a (id) VALUES (2)"]""");
        var (members, membersBody) = await GetAsync(node, "reader-secret", "/v1/members");
        var (sync, _) = await GetAsync(node, "reader-secret", "/v1/sync/state");

        Assert.Equal(HttpStatusCode.OK, query);
        Assert.Equal(HttpStatusCode.OK, health);
        Assert.Equal(HttpStatusCode.OK, stats);
        Assert.Equal(HttpStatusCode.OK, subscribe);
        Assert.Equal(HttpStatusCode.Forbidden, write);
        Assert.Equal("token \"reader\" has scope read; POST /v1/transactions needs write", Error(writeBody));
        Assert.Equal(HttpStatusCode.Forbidden, members);
        Assert.Contains("needs admin", Error(membersBody), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, sync);
        Assert.Equal(1, await CountAsync(node, "a"));
    }

    [Fact]
    public async Task A_write_token_writes_but_may_not_administer_and_an_admin_token_may()
    {
        await using var node = await StartAsync(Token("writer", "write"), Token("operator", "admin"));

        var (write, _) = await PostAsync(node, "writer-secret", "/v1/transactions", """["INSERT INTO a (id) VALUES (1)"]""");
        var (writerMembers, _) = await GetAsync(node, "writer-secret", "/v1/members");
        var (adminMembers, _) = await GetAsync(node, "operator-secret", "/v1/members");
        var (adminSync, _) = await GetAsync(node, "operator-secret", "/v1/sync/state");
        var (adminWrite, _) = await PostAsync(node, "operator-secret", "/v1/transactions", """["INSERT INTO a (id) VALUES (2)"]""");

        Assert.Equal(HttpStatusCode.OK, write);
        Assert.Equal(HttpStatusCode.Forbidden, writerMembers);
        Assert.NotEqual(HttpStatusCode.Forbidden, adminMembers);
        Assert.NotEqual(HttpStatusCode.Unauthorized, adminMembers);
        Assert.Equal(HttpStatusCode.OK, adminSync);
        Assert.Equal(HttpStatusCode.OK, adminWrite);
        Assert.Equal(2, await CountAsync(node, "a"));
    }

    [Fact]
    public async Task The_old_bearer_tokens_keep_full_access_beside_scoped_tokens()
    {
        await using var node = await StartAsync(Token("reader", "read", "a"));

        var (write, _) = await PostAsync(node, "root-secret", "/v1/transactions", """["INSERT INTO b (id) VALUES (1)"]""");
        var (sync, _) = await GetAsync(node, "root-secret", "/v1/sync/state");

        Assert.Equal(HttpStatusCode.OK, write);
        Assert.Equal(HttpStatusCode.OK, sync);
    }

    [Fact]
    public async Task A_table_restricted_token_reads_and_writes_only_its_tables()
    {
        await using var node = await StartAsync(Token("app", "write", "a"));

        var (ownWrite, _) = await PostAsync(node, "app-secret", "/v1/transactions", """["INSERT INTO a (id, v) VALUES (1, 'x')", ["UPDATE a SET v = ? WHERE id = 1", ["y"]]]""");
        var (ownRead, _) = await PostAsync(node, "app-secret", "/v1/queries", "\"SELECT v FROM a WHERE id = 1\"");
        var (otherWrite, otherWriteBody) = await PostAsync(node, "app-secret", "/v1/transactions", """["INSERT INTO a (id) VALUES (2)", "INSERT INTO b (id) VALUES (2)"]""");
        var (otherRead, otherReadBody) = await PostAsync(node, "app-secret", "/v1/queries", "\"SELECT * FROM b\"");
        var (join, _) = await PostAsync(node, "app-secret", "/v1/queries", "\"SELECT a.v FROM a JOIN b ON a.id = b.id\"");
        var (subquery, _) = await PostAsync(node, "app-secret", "/v1/queries", "\"SELECT v FROM a WHERE id IN (SELECT id FROM b)\"");
        var (copy, _) = await PostAsync(node, "app-secret", "/v1/transactions", """["INSERT INTO a (id, v) SELECT id + 100, v FROM b"]""");
        var (hidden, _) = await PostAsync(node, "app-secret", "/v1/transactions", """["INSERT INTO a (id) VALUES (3); DELETE FROM b"]""");
        var (schema, _) = await PostAsync(node, "app-secret", "/v1/queries", "\"SELECT name FROM sqlite_master\"");
        var (clocks, _) = await PostAsync(node, "app-secret", "/v1/queries", "\"SELECT * FROM a__corro_clock\"");

        Assert.Equal(HttpStatusCode.OK, ownWrite);
        Assert.Equal(HttpStatusCode.OK, ownRead);
        Assert.Equal(HttpStatusCode.Forbidden, otherWrite);
        Assert.Equal("token \"app\": this token may not use table b", Error(otherWriteBody));
        Assert.Equal(HttpStatusCode.Forbidden, otherRead);
        Assert.Contains("table b", Error(otherReadBody), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, join);
        Assert.Equal(HttpStatusCode.Forbidden, subquery);
        Assert.Equal(HttpStatusCode.Forbidden, copy);
        Assert.Equal(HttpStatusCode.Forbidden, hidden);
        Assert.Equal(HttpStatusCode.Forbidden, schema);
        Assert.Equal(HttpStatusCode.Forbidden, clocks);
        Assert.Equal(1, await CountAsync(node, "a"));
        Assert.Equal(0, await CountAsync(node, "b"));
    }

    [Fact]
    public async Task A_table_restricted_token_subscribes_watches_and_counts_only_its_tables()
    {
        await using var node = await StartAsync(Token("app", "read", "A"));
        await PostAsync(node, "root-secret", "/v1/transactions", """["INSERT INTO a (id) VALUES (1)", "INSERT INTO b (id) VALUES (1)", "INSERT INTO b (id) VALUES (2)"]""");

        using (var own = new HttpRequestMessage(HttpMethod.Post, new Uri("/v1/subscriptions", UriKind.Relative)))
        {
            own.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "app-secret");
            own.Content = new StringContent("\"SELECT id FROM a\"", Encoding.UTF8, "application/json");
            using var response = await node.Http.SendAsync(own, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var id = response.Headers.GetValues("corro-query-id").Single();
            var (attach, _) = await SendAttachAsync(node, "app-secret", id);
            Assert.Equal(HttpStatusCode.OK, attach);
        }

        string otherId;
        using (var other = new HttpRequestMessage(HttpMethod.Post, new Uri("/v1/subscriptions", UriKind.Relative)))
        {
            other.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "root-secret");
            other.Content = new StringContent("\"SELECT id FROM b\"", Encoding.UTF8, "application/json");
            using var response = await node.Http.SendAsync(other, HttpCompletionOption.ResponseHeadersRead);
            otherId = response.Headers.GetValues("corro-query-id").Single();
        }

        var (subscribeOther, _) = await PostAsync(node, "app-secret", "/v1/subscriptions", "\"SELECT id FROM b\"");
        var (attachOther, attachBody) = await SendAttachAsync(node, "app-secret", otherId);
        var (watchOther, _) = await PostAsync(node, "app-secret", "/v1/updates/b", string.Empty);
        var (watchOwn, _) = await PostAsync(node, "app-secret", "/v1/updates/a", string.Empty);
        var (statsAll, statsBody) = await PostAsync(node, "app-secret", "/v1/table_stats", "{}");
        var (statsOther, _) = await PostAsync(node, "app-secret", "/v1/table_stats", """{"tables": ["b"]}""");

        Assert.Equal(HttpStatusCode.Forbidden, subscribeOther);
        Assert.Equal(HttpStatusCode.Forbidden, attachOther);
        Assert.Contains("app", Error(attachBody), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, watchOther);
        Assert.Equal(HttpStatusCode.OK, watchOwn);
        Assert.Equal(HttpStatusCode.OK, statsAll);
        Assert.Equal(1, JsonDocument.Parse(statsBody).RootElement.GetProperty("total_row_count").GetInt64());
        Assert.Equal(HttpStatusCode.Forbidden, statsOther);
    }

    private static async Task<(HttpStatusCode Status, string Body)> SendAttachAsync(TestNode node, string token, string id)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/v1/subscriptions/{id}?skip_rows=true", UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await node.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        return response.StatusCode == HttpStatusCode.OK ? (response.StatusCode, string.Empty) : (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_token_file_keeps_the_secret_out_of_the_configuration()
    {
        using var dir = new TempDirectory();
        var file = dir.File("reader.token");
        await File.WriteAllTextAsync(file, "from-a-file\n");
        await using var node = await StartAsync(new TokenOptions { Name = "filed", TokenFile = file, Scope = "read" });

        var (ok, _) = await GetAsync(node, "from-a-file", "/v1/health");
        var (withNewline, _) = await GetAsync(node, "from-a-file\\n", "/v1/health");

        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.Equal(HttpStatusCode.Unauthorized, withNewline);
    }

    [Fact]
    public async Task A_missing_token_file_stops_the_start_naming_the_key()
    {
        var missing = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "none.token");

        var error = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => StartAsync(new TokenOptions { TokenFile = missing }));

        Assert.Contains("api.authz.tokens.0.token_file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tokens_bind_from_hocon_and_bad_entries_name_their_key()
    {
        using var dir = new TempDirectory();
        var good = dir.File("good.conf");
        File.WriteAllText(good, """
            api.authz.tokens = [
              { name = "grafana", token = "g", scope = read, tables = ["machines"] }
              { name = "deployer", token_file = "/run/secrets/deployer", scope = write }
            ]
            """);
        var bad = dir.File("bad.conf");
        File.WriteAllText(bad, """api.authz.tokens = [ { token = "x", scope = root } ]""");
        var both = dir.File("both.conf");
        File.WriteAllText(both, """api.authz.tokens = [ { token = "x", token_file = "y" } ]""");

        var options = NodeConfiguration.Load(good);
        var badScope = Assert.ThrowsAny<Exception>(() => NodeConfiguration.Load(bad));
        var twoSecrets = Assert.ThrowsAny<Exception>(() => NodeConfiguration.Load(both));

        Assert.Equal(["grafana", "deployer"], options.Api.Authz.Tokens.Select(t => t.Name));
        Assert.Equal(["machines"], options.Api.Authz.Tokens[0].Tables);
        Assert.Equal("/run/secrets/deployer", options.Api.Authz.Tokens[1].TokenFile);
        Assert.Equal("write", options.Api.Authz.Tokens[1].Scope);
        Assert.Contains("api.authz.tokens.0.scope", badScope.Message, StringComparison.Ordinal);
        Assert.Contains("exactly one of token and token_file", twoSecrets.Message, StringComparison.Ordinal);
    }
}
