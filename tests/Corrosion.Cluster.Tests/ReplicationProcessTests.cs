using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Corrosion.Cluster.Tests.Support;
using Xunit.Abstractions;

namespace Corrosion.Cluster.Tests;

/// <summary>
/// Five real <c>corrosion agent</c> processes replicating over plaintext gossip: concurrent clients
/// write to random nodes while one node is SIGKILLed and restarted; afterwards every node must hold
/// the same rows and know every version.
/// </summary>
public sealed class ReplicationProcessTests : IAsyncLifetime
{
    private const int Nodes = 5;
    private const int Clients = 6;
    private const int WritesPerClient = 50;
    private const int Keys = 40;
    private const int Victim = 3;
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(45);
    private static readonly TimeSpan ConvergeDeadline = TimeSpan.FromSeconds(60);
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private static readonly string[] Tables = ["kv", "events"];

    private readonly ITestOutputHelper _output;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "corrosion-cluster-tests", Guid.NewGuid().ToString("N"));
    private readonly AgentProcess?[] _agents = new AgentProcess?[Nodes];
    private readonly object _gate = new();
    private int[] _gossipPorts = [];
    private int[] _apiPorts = [];
    private string _schemaPath = "";

    public ReplicationProcessTests(ITestOutputHelper output) => _output = output;

    public async Task InitializeAsync()
    {
        _gossipPorts = FreePorts(Nodes, udpToo: true);
        _apiPorts = FreePorts(Nodes, udpToo: false);
        Directory.CreateDirectory(_root);
        _schemaPath = Path.Combine(_root, "schema.sql");
        await File.WriteAllTextAsync(_schemaPath, """
            CREATE TABLE kv (id INTEGER NOT NULL PRIMARY KEY, v TEXT NOT NULL DEFAULT '', n INTEGER NOT NULL DEFAULT 0);
            CREATE TABLE events (id TEXT NOT NULL PRIMARY KEY, node INTEGER NOT NULL DEFAULT 0, k INTEGER NOT NULL DEFAULT 0);
            """);
    }

    [Fact]
    public async Task Five_agents_converge_to_identical_tables_after_concurrent_writes_and_a_killed_node()
    {
        var started = DateTime.UtcNow;
        var first = await Task.WhenAll(Enumerable.Range(0, Nodes).Select(StartAsync));
        for (var i = 0; i < Nodes; i++)
        {
            _agents[i] = first[i];
        }

        foreach (var index in Enumerable.Range(0, Nodes))
        {
            await WaitUntilAsync(async () => (await HealthAsync(index)).Members == Nodes, $"node {index} sees {Nodes} members", StartDeadline);
        }

        var joined = DateTime.UtcNow;
        var written = 0;
        var failedAttempts = 0;
        var restartedNode = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writers = Enumerable.Range(0, Clients).Select(client => Task.Run(async () =>
        {
            var random = new Random(1000 + client);
            for (var w = 0; w < WritesPerClient; w++)
            {
                if (w == WritesPerClient * 2 / 3)
                {
                    // The last third of the writes also reaches the restarted node.
                    await restartedNode.Task.WaitAsync(ConvergeDeadline);
                }

                await Task.Delay(random.Next(10));
                var key = random.Next(Keys);
                string[] statements = random.Next(3) switch
                {
                    0 => [Sql($"INSERT OR IGNORE INTO kv (id, v, n) VALUES ({key}, 'c{client}', 0)")],
                    1 => [Sql($"INSERT OR IGNORE INTO kv (id) VALUES ({key})"), Sql($"UPDATE kv SET v = 'c{client}w{w}', n = n + 1 WHERE id = {key}")],
                    _ => [Sql($"INSERT OR IGNORE INTO events (id, node, k) VALUES ('c{client}w{w}', {client}, {key})"), Sql($"UPDATE kv SET n = n + 1 WHERE id = {key}")],
                };

                // A write goes to a random node; a refused one (the killed node) is retried on another.
                for (var attempt = 0; ; attempt++)
                {
                    var node = random.Next(Nodes);
                    if (await TryWriteAsync(node, statements))
                    {
                        break;
                    }

                    Interlocked.Increment(ref failedAttempts);
                    Assert.True(attempt < 50, $"client {client} could not write {statements[0]}");
                    await Task.Delay(20);
                }

                Interlocked.Increment(ref written);
            }
        })).ToList();

        // One node crashes a third of the way in and comes back on the same database and addresses.
        var chaos = Task.Run(async () =>
        {
            try
            {
                await KillAndRestartAsync();
            }
            catch (Exception e)
            {
                restartedNode.TrySetException(e);
                throw;
            }
        });

        async Task KillAndRestartAsync()
        {
            await WaitUntilAsync(() => Task.FromResult(Volatile.Read(ref written) >= Clients * WritesPerClient / 3), "a third of the writes", ConvergeDeadline);
            var victim = Agent(Victim);
            await victim.KillAsync();
            await victim.DisposeAsync();
            lock (_gate)
            {
                _agents[Victim] = null;
            }

            _output.WriteLine($"killed node {Victim} after {Volatile.Read(ref written)} writes");
            var restarted = await StartAsync(Victim);
            lock (_gate)
            {
                _agents[Victim] = restarted;
            }

            _output.WriteLine($"restarted node {Victim} after {Volatile.Read(ref written)} writes");
            restartedNode.SetResult();
        }

        await Task.WhenAll(writers.Append(chaos));
        var writesDone = DateTime.UtcNow;
        Assert.Equal(Clients * WritesPerClient, written);

        string[] digests = [];
        string last = "nothing yet";
        await WaitUntilAsync(async () =>
        {
            var states = await Task.WhenAll(Enumerable.Range(0, Nodes).Select(NodeStateAsync));
            digests = states.Select(s => s.Digest).ToArray();
            last = string.Join("\n", states.Select((s, i) => $"node {i}: gaps {s.Gaps}, digest {s.Digest[..12]}, heads {s.Heads}"));
            return states.All(s => s.Gaps == 0 && s.Needs == "{}")
                && states.Select(s => s.Digest).Distinct().Count() == 1
                && states.Select(s => s.Heads).Distinct().Count() == 1;
        }, "identical tables, equal heads and no gaps on every node", ConvergeDeadline, () => last);

        var converged = DateTime.UtcNow;
        var rows = await QueryCellsAsync(0, "SELECT count(*) FROM events");
        _output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"join {(joined - started).TotalSeconds:F1}s, {written} writes ({failedAttempts} refused attempts) {(writesDone - joined).TotalSeconds:F1}s, convergence {(converged - writesDone).TotalSeconds:F1}s; events rows {rows[0]}"));

        Assert.True(int.Parse(rows[0], CultureInfo.InvariantCulture) > 0);
        Assert.Single(digests.Distinct());

        // The CLI prints the same sync state as the API: every node's head, nothing needed.
        var cli = await CorrosionProcess.RunAsync(StartDeadline, "sync", "generate", "--api-addr", Agent(Victim).ApiAddr);
        Assert.True(cli.ExitCode == 0, cli.Stderr);
        using var printed = JsonDocument.Parse(cli.Stdout);
        var api = await GetJsonAsync(Victim, "v1/sync/state");
        Assert.Equal(api.GetProperty("heads").EnumerateObject().Count(), printed.RootElement.GetProperty("heads").EnumerateObject().Count());
        Assert.Equal(Nodes, printed.RootElement.GetProperty("heads").EnumerateObject().Count());
        Assert.Empty(printed.RootElement.GetProperty("need").EnumerateObject());
    }

    private static string Sql(FormattableString sql) => sql.ToString(CultureInfo.InvariantCulture);

    private AgentProcess Agent(int index)
    {
        lock (_gate)
        {
            return _agents[index] ?? throw new InvalidOperationException($"node {index} is down");
        }
    }

    private Uri? ApiOf(int index)
    {
        lock (_gate)
        {
            return _agents[index]?.ApiAddress;
        }
    }

    private async Task<bool> TryWriteAsync(int index, string[] statements)
    {
        var api = ApiOf(index);
        if (api is null)
        {
            return false;
        }

        try
        {
            using var content = new StringContent(JsonSerializer.Serialize(statements), Encoding.UTF8, "application/json");
            using var response = await Http.PostAsync(new Uri(api, "v1/transactions"), content);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return true;
            }

            var body = await response.Content.ReadAsStringAsync();
            Assert.Fail($"node {index} rejected {statements[0]}: {(int)response.StatusCode} {body}");
            return false;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            // Killed mid-request or not yet restarted.
            return false;
        }
    }

    private async Task<(int Members, long Gaps)> HealthAsync(int index)
    {
        var json = await GetJsonAsync(index, "v1/health");
        var response = json.GetProperty("response");
        return (response.GetProperty("members").GetInt32(), response.GetProperty("gaps").GetInt64());
    }

    private async Task<(string Digest, long Gaps, string Needs, string Heads)> NodeStateAsync(int index)
    {
        var (_, gaps) = await HealthAsync(index);
        var sync = await GetJsonAsync(index, "v1/sync/state");
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var table in Tables)
        {
            var cells = await QueryCellsAsync(index, $"SELECT * FROM {table} ORDER BY 1");
            hash.AppendData(Encoding.UTF8.GetBytes($"{table}:{cells.Count}\n"));
            foreach (var row in cells)
            {
                hash.AppendData(Encoding.UTF8.GetBytes(row + "\n"));
            }
        }

        return (Convert.ToHexString(hash.GetHashAndReset()), gaps, sync.GetProperty("need").GetRawText(), sync.GetProperty("heads").GetRawText());
    }

    /// <summary>The cells of each row (without the rowid, which differs between nodes), as JSON text.</summary>
    private async Task<List<string>> QueryCellsAsync(int index, string sql)
    {
        var api = ApiOf(index) ?? throw new HttpRequestException($"node {index} is down");
        using var content = new StringContent(JsonSerializer.Serialize(sql), Encoding.UTF8, "application/json");
        using var response = await Http.PostAsync(new Uri(api, "v1/queries"), content);
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new HttpRequestException($"query on node {index}: {(int)response.StatusCode} {body}");
        }

        var rows = new List<string>();
        foreach (var line in body.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var document = JsonDocument.Parse(line);
            if (document.RootElement.TryGetProperty("row", out var row))
            {
                var cells = row[1];
                rows.Add(cells.GetArrayLength() == 1 && cells[0].ValueKind == JsonValueKind.Number ? cells[0].GetRawText() : cells.GetRawText());
            }
            else if (document.RootElement.TryGetProperty("error", out var error))
            {
                throw new HttpRequestException($"query on node {index}: {error}");
            }
        }

        return rows;
    }

    private async Task<JsonElement> GetJsonAsync(int index, string path)
    {
        var api = ApiOf(index) ?? throw new HttpRequestException($"node {index} is down");
        var body = await Http.GetStringAsync(new Uri(api, path));
        using var document = JsonDocument.Parse(body);
        return document.RootElement.Clone();
    }

    private async Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan deadline, Func<string>? describe = null)
    {
        var until = DateTime.UtcNow + deadline;
        var last = "nothing";
        while (DateTime.UtcNow < until)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidOperationException)
            {
                last = e.Message;
            }

            await Task.Delay(50);
        }

        var outputs = string.Join("\n", Enumerable.Range(0, Nodes).Select(i =>
        {
            lock (_gate)
            {
                return $"--- node {i} ---\n{_agents[i]?.Output}";
            }
        }));
        throw new TimeoutException($"no {what} within {deadline}; last: {describe?.Invoke() ?? last}\n{outputs}");
    }

    private Task<AgentProcess> StartAsync(int index) => AgentProcess.StartAsync(
        Path.Combine(_root, $"node{index}"),
        string.Create(CultureInfo.InvariantCulture, $$"""
            api.addr = "127.0.0.1:{{_apiPorts[index]}}"
            gossip.addr = "127.0.0.1:{{_gossipPorts[index]}}"
            gossip.cluster_id = 7
            gossip.plaintext = true
            gossip.sync.min_interval = 300ms
            gossip.sync.max_interval = 1s
            db.schema_paths = ["{{_schemaPath.Replace("\\", "/", StringComparison.Ordinal)}}"]
            membership {
              probe_interval = 200ms
              probe_timeout = 100ms
              gossip_interval = 100ms
              reconnect_interval = 1s
              join_retry_max = 1s
              bootstrap = ["127.0.0.1:{{_gossipPorts[0]}}"]
            }
            """),
        StartDeadline);

    /// <summary>Ports free now; gossip ports must be free for UDP (SWIM) and TCP (the transport) both.</summary>
    private static int[] FreePorts(int count, bool udpToo)
    {
        var ports = new List<int>();
        var held = new List<Socket>();
        try
        {
            while (ports.Count < count)
            {
                var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                held.Add(tcp);
                tcp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                var port = ((IPEndPoint)tcp.LocalEndPoint!).Port;
                if (udpToo)
                {
                    var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                    held.Add(udp);
                    try
                    {
                        udp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                    }
                    catch (SocketException)
                    {
                        continue;
                    }
                }

                ports.Add(port);
            }

            return ports.ToArray();
        }
        finally
        {
            held.ForEach(s => s.Dispose());
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var agent in _agents)
        {
            if (agent is not null)
            {
                await agent.DisposeAsync();
            }
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open; the temp folder is cleaned eventually.
        }
    }
}
