using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Akka.Actor;
using Corrosion.Client.Akka;
using Xunit.Abstractions;

namespace Corrosion.Native.Tests;

/// <summary>
/// The NativeAOT build runs the node's basic paths as the JIT build does: the HTTP API (health, a write,
/// a query with its REAL formatting, a live query, metrics), the CLI, a SIGTERM stop with exit code 0,
/// the admin socket, list settings (a user's schema files, bearer and scoped tokens), a three-member cluster replicating a
/// write, and the Akka client gateway over Akka.Remote.
/// </summary>
[Collection(NativeCliCollection.Name)]
public sealed partial class NativeAgentTests(NativeCli cli, ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"corrosion-native-test-{Guid.NewGuid():N}");

    [SkippableFact]
    public async Task The_native_agent_serves_the_api_and_the_cli_and_exits_0_on_SIGTERM()
    {
        var executable = cli.Require();
        output.WriteLine($"native executable {executable} ({new FileInfo(executable).Length / 1024 / 1024} MiB), published in {cli.PublishTime.TotalSeconds:0} s");
        // The embedded defaults (the demo schema, ./data) in an empty directory; only the ports are free ones.
        await using var agent = await NativeAgent.StartAsync(executable, _dir, """
            api.addr = "127.0.0.1:0"
            gossip.addr = "127.0.0.1:0"
            """);
        using var http = new HttpClient { BaseAddress = agent.Api, Timeout = Deadline };

        var health = await http.GetAsync(new Uri("/v1/health", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Contains("\"status\":\"ok\"", await health.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // A live query first, so the write below reaches it as a change.
        using var subscription = await http.SendAsync(
            new HttpRequestMessage(HttpMethod.Post, "/v1/subscriptions") { Content = Json("\"SELECT id, region FROM machines\"") },
            HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, subscription.StatusCode);
        using var events = new StreamReader(await subscription.Content.ReadAsStreamAsync());
        Assert.Equal("{\"columns\":[\"id\",\"region\"]}", await ReadLineAsync(events));
        Assert.StartsWith("{\"eoq\":", await ReadLineAsync(events), StringComparison.Ordinal);

        var write = await http.PostAsync(new Uri("/v1/transactions", UriKind.Relative), Json("""[["INSERT INTO machines (id, region) VALUES (?, ?)", ["m-1", "ams"]]]"""));
        var written = await write.Content.ReadAsStringAsync();
        Assert.True(write.StatusCode == HttpStatusCode.OK, written);
        Assert.Contains("\"rows_affected\":1", written, StringComparison.Ordinal);
        Assert.Contains("\"version\":1", written, StringComparison.Ordinal);
        Assert.Equal("{\"change\":[\"insert\",1,[\"m-1\",\"ams\"],1]}", await ReadLineAsync(events));

        var query = await http.PostAsync(new Uri("/v1/queries", UriKind.Relative), Json("\"SELECT id, region, 7.0 AS r, 7 AS i FROM machines\""));
        var rows = await query.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, query.StatusCode);
        Assert.Contains("{\"row\":[1,[\"m-1\",\"ams\",7.0,7]]}", rows, StringComparison.Ordinal);

        // Bad input is a 4xx with an error, as under the JIT.
        var bad = await http.PostAsync(new Uri("/v1/transactions", UriKind.Relative), Json("{bad"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.StartsWith("{\"error\":", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Contains("corrosion_storage_transactions_total", metrics, StringComparison.Ordinal);

        // The CLI itself (System.CommandLine, the HTTP client, the table output) from the same executable.
        var (exit, stdout, stderr) = await RunAsync(executable, "query", "--api-addr", $"{agent.Api.Host}:{agent.Api.Port}", "SELECT id, region FROM machines", "--columns");
        Assert.True(exit == 0, stderr);
        Assert.Contains("m-1|ams", stdout, StringComparison.Ordinal);

        // The admin socket's frames and the CLI's indented JSON, written without reflection-based System.Text.Json
        // (the native build has none): a request and its answers both ways, and `sync generate` over the API.
        var adminSocket = AdminSocketLine().Match(agent.Output);
        Assert.True(adminSocket.Success, agent.Output);
        (exit, stdout, stderr) = await RunAsync(executable, "cluster", "membership-states", "--admin-path", adminSocket.Groups[1].Value);
        Assert.True(exit == 0, stderr);
        Assert.Contains("\"state\": \"alive\"", stdout, StringComparison.Ordinal);
        (exit, stdout, stderr) = await RunAsync(executable, "sync", "reconcile-gaps", "--admin-path", adminSocket.Groups[1].Value);
        Assert.True(exit == 0, stderr);
        Assert.Contains("\"gaps_after\": 0", stdout, StringComparison.Ordinal);
        (exit, stdout, stderr) = await RunAsync(executable, "sync", "generate", "--api-addr", $"{agent.Api.Host}:{agent.Api.Port}");
        Assert.True(exit == 0, stderr);
        Assert.Contains("\"heads\": {", stdout, StringComparison.Ordinal);

        Assert.Equal(0, await agent.StopAsync(Deadline));
        Assert.Contains("stopped", agent.Output, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task List_settings_are_bound_bearer_tokens_and_scoped_tokens_with_their_tables()
    {
        // Lists reach the options through the configuration binder's reflection; an empty list here would
        // leave the API open (no token needed) instead of refusing, so this is checked on the native build.
        var executable = cli.Require();
        await using var agent = await NativeAgent.StartAsync(executable, _dir, """
            api.addr = "127.0.0.1:0"
            gossip.addr = "127.0.0.1:0"
            api.authz {
              bearer_tokens = ["full-token"]
              tokens = [{ name = "reader", token = "read-token", scope = read, tables = ["services"] }]
            }
            """);
        using var http = new HttpClient { BaseAddress = agent.Api, Timeout = Deadline };
        async Task<HttpStatusCode> QueryAsync(string? token, string sql)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/queries") { Content = Json($"\"{sql}\"") };
            if (token is not null)
            {
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            }

            using var response = await http.SendAsync(request);
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await QueryAsync(null, "SELECT id FROM machines"));
        Assert.Equal(HttpStatusCode.OK, await QueryAsync("full-token", "SELECT id FROM machines"));
        Assert.Equal(HttpStatusCode.OK, await QueryAsync("read-token", "SELECT name FROM services"));
        Assert.Equal(HttpStatusCode.Forbidden, await QueryAsync("read-token", "SELECT id FROM machines"));
        Assert.Equal(0, await agent.StopAsync(Deadline));
    }

    [SkippableFact]
    public async Task Three_native_agents_join_and_a_write_on_one_is_read_on_the_others()
    {
        var executable = cli.Require();
        var ports = Enumerable.Range(0, 3).Select(_ => FreePort()).ToList();
        var agents = new List<NativeAgent>();
        // A schema of the user's (db.schema_paths, a list bound by the configuration binder): under
        // NativeAOT a trimmed List<string>.Add once left the list empty and the demo schema was used.
        var schema = Path.Combine(_dir, "kv.sql");
        Directory.CreateDirectory(_dir);
        await File.WriteAllTextAsync(schema, "CREATE TABLE kv (k TEXT NOT NULL PRIMARY KEY, v TEXT);");
        try
        {
            for (var i = 0; i < 3; i++)
            {
                agents.Add(await NativeAgent.StartAsync(executable, Path.Combine(_dir, $"n{i}"), $"""
                    db.path = "n{i}.db"
                    db.schema_paths = ["{schema}"]
                    api.addr = "127.0.0.1:0"
                    gossip {"{"} addr = "127.0.0.1:{ports[i]}", plaintext = true {"}"}
                    membership.bootstrap = ["127.0.0.1:{ports[0]}"]
                    """));
            }

            var clients = agents.Select(a => new HttpClient { BaseAddress = a.Api, Timeout = Deadline }).ToList();
            foreach (var client in clients)
            {
                await WaitForAsync(async () => (await client.GetStringAsync(new Uri("/v1/health", UriKind.Relative))).Contains("\"members\":3", StringComparison.Ordinal), "3 members");
            }

            var write = await clients[0].PostAsync(new Uri("/v1/transactions", UriKind.Relative), Json("""[["INSERT INTO kv (k, v) VALUES ('m-9', 'fra')"]]"""));
            Assert.True(write.StatusCode == HttpStatusCode.OK, await write.Content.ReadAsStringAsync());
            foreach (var client in clients.Skip(1))
            {
                await WaitForAsync(async () =>
                {
                    var answer = await client.PostAsync(new Uri("/v1/queries", UriKind.Relative), Json("\"SELECT k, v FROM kv\""));
                    return (await answer.Content.ReadAsStringAsync()).Contains("[\"m-9\",\"fra\"]", StringComparison.Ordinal);
                }, "the write replicated");
            }

            foreach (var agent in agents)
            {
                Assert.Equal(0, await agent.StopAsync(Deadline));
            }

            clients.ForEach(c => c.Dispose());
        }
        finally
        {
            foreach (var agent in agents)
            {
                await agent.DisposeAsync();
            }
        }
    }

    [SkippableFact]
    public async Task The_akka_client_gateway_of_a_native_agent_executes_and_queries_over_akka_remote()
    {
        var executable = cli.Require();
        await using var agent = await NativeAgent.StartAsync(executable, _dir, """
            api.addr = "127.0.0.1:0"
            gossip { addr = "127.0.0.1:0", plaintext = true }
            akka_api { enabled = true, addr = "127.0.0.1:0" }
            """);
        var gateway = await agent.AkkaAddress.WaitAsync(Deadline);
        using var system = ActorSystem.Create("client", CorrosionAkkaClient.ActorSystemConfig());
        var options = new CorrosionAkkaClientOptions { RequestTimeout = Deadline };
        options.Nodes.Add(gateway);
        using (var client = new CorrosionAkkaClient(system, options))
        try
        {
            var committed = await client.ExecuteAsync("INSERT INTO machines (id, region) VALUES (?, ?)", "a-1", "ams");
            Assert.Equal([1L], committed.RowsAffected);
            var rows = new List<string?>();
            await foreach (var row in client.QueryAsync("SELECT region FROM machines WHERE id = ?", "a-1"))
            {
                rows.Add(row["region"].Text);
            }

            Assert.Equal(["ams"], rows);
        }
        finally
        {
            output.WriteLine(agent.Output);
        }

        await system.Terminate();
        Assert.Equal(0, await agent.StopAsync(Deadline));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task<string?> ReadLineAsync(StreamReader reader)
    {
        using var cts = new CancellationTokenSource(Deadline);
        return await reader.ReadLineAsync(cts.Token);
    }

    private static Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string executable, params string[] args) =>
        ChildProcess.RunAsync(Deadline, executable, args);

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var until = DateTime.UtcNow + Deadline;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < until, $"not within {Deadline}: {what}");
            await Task.Delay(100);
        }
    }

    /// <summary>The agent's line naming its admin socket: <c>corrosion agent ID admin socket PATH</c>.</summary>
    [GeneratedRegex(@"corrosion agent \S+ admin socket (\S+)")]
    private static partial Regex AdminSocketLine();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
