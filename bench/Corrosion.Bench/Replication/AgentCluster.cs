using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Corrosion.Agent.Storage;

namespace Corrosion.Bench.Replication;

/// <summary>
/// N <c>corrosion agent</c> processes on loopback (plaintext gossip, SWIM and broadcast defaults), all
/// joining the first, with the bench's kv table. The CLI is <c>corrosion.dll</c> (run with <c>dotnet</c>)
/// or the NativeAOT executable. As an <see cref="IBenchCluster"/> (after <see cref="WatchUpdatesAsync"/>)
/// a row is visible on a node when that node's <c>POST /v1/updates/kv</c> stream names its key: what a
/// reader of that node can see, timed by this process's clock like the write's response.
/// </summary>
internal sealed class AgentCluster : IBenchCluster
{
    private readonly BenchDirectory _dir = new();
    private readonly List<AgentProcess> _agents = [];
    private readonly List<string> _configs = [];
    private readonly List<HttpClient> _clients = [];
    private readonly List<ActorId> _ids = [];
    // Per key: when each node's update stream named it (Stopwatch ticks, 0 = not yet).
    private readonly ConcurrentDictionary<string, long[]> _seen = new();
    private readonly ConcurrentDictionary<(ActorId, long), string> _keys = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _watchers = [];
    private string _cli = string.Empty;
    private long _nextKey;

    /// <summary>Per node: the base address of its HTTP API.</summary>
    public IReadOnlyList<Uri> ApiAddresses { get; private set; } = [];

    /// <summary>Per node: the running process (replaced by <see cref="RestartAsync"/>).</summary>
    public IReadOnlyList<AgentProcess> Agents => _agents;

    /// <summary>Per node: its actor id (from its own <c>/v1/members</c> entry).</summary>
    public IReadOnlyList<ActorId> Ids => _ids;

    /// <summary>Per node: an HTTP client on its API.</summary>
    public IReadOnlyList<HttpClient> Clients => _clients;

    /// <summary>Starts the agents and waits until every one sees all of them alive.</summary>
    /// <param name="cli">The CLI: <c>corrosion.dll</c> or a native executable.</param>
    /// <param name="size">Agents.</param>
    /// <param name="extraConfig">HOCON lines added to every agent's configuration (null: none).</param>
    public static async Task<AgentCluster> StartAsync(string cli, int size, string? extraConfig = null)
    {
        var cluster = new AgentCluster { _cli = cli };
        try
        {
            var schema = cluster._dir.File("schema.sql");
            await File.WriteAllTextAsync(schema, BenchCluster.Schema);
            var ports = Enumerable.Range(0, size).Select(_ => AgentProcess.FreePort()).ToList();
            for (var i = 0; i < size; i++)
            {
                var config = cluster._dir.File($"node{i}.conf");
                await File.WriteAllTextAsync(config, $"""
                    db.path = "{cluster._dir.File($"node{i}.db")}"
                    db.schema_paths = ["{schema}"]
                    api.addr = "127.0.0.1:0"
                    gossip.addr = "127.0.0.1:{ports[i]}"
                    gossip.plaintext = true
                    {(i == 0 ? "" : $"membership.bootstrap = [\"127.0.0.1:{ports[0]}\"]")}
                    {extraConfig ?? ""}
                    """);
                cluster._configs.Add(config);
                cluster._agents.Add(AgentProcess.Start(cli, config, cluster._dir.Path));
            }

            cluster.ApiAddresses = await Task.WhenAll(cluster._agents.Select(a => a.Listening.WaitAsync(TimeSpan.FromSeconds(120))));
            cluster._clients.AddRange(cluster.ApiAddresses.Select(a => new HttpClient { BaseAddress = a, Timeout = TimeSpan.FromSeconds(60) }));
            await WaitForMembersAsync(cluster._clients, size, TimeSpan.FromSeconds(60));
            foreach (var client in cluster._clients)
            {
                cluster._ids.Add(await SelfIdAsync(client));
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Kills agent <paramref name="node"/> with SIGKILL (no leave, no goodbye to its peers).</summary>
    public async Task KillAsync(int node)
    {
        var process = _agents[node].Process;
        process.Kill();
        await process.WaitForExitAsync();
    }

    /// <summary>Starts agent <paramref name="node"/> again on its configuration (its database and gossip port) and waits until it listens.</summary>
    public async Task RestartAsync(int node)
    {
        await _agents[node].DisposeAsync();
        _agents[node] = AgentProcess.Start(_cli, _configs[node], _dir.Path);
        var api = await _agents[node].Listening.WaitAsync(TimeSpan.FromSeconds(120));
        _clients[node].Dispose();
        _clients[node] = new HttpClient { BaseAddress = api, Timeout = TimeSpan.FromSeconds(60) };
        ApiAddresses = _clients.Select(c => c.BaseAddress!).ToList();
    }

    /// <summary>Opens <c>POST /v1/updates/kv</c> on every node; returns once every stream is registered (its headers came).</summary>
    public async Task WatchUpdatesAsync()
    {
        for (var i = 0; i < _clients.Count; i++)
        {
            _watchers.Add(await WatchAsync(_clients[i], i));
        }
    }

    /// <inheritdoc />
    public async Task<(ActorId Origin, long Version, long CommittedAt)> WriteAsync(int node)
    {
        var key = Interlocked.Increment(ref _nextKey);
        var written = await RowWriter.WriteAsync(_clients[node], _ids[node], key);
        _keys[(written.Origin, written.Version)] = FormattableString.Invariant($"k{key}");
        return written;
    }

    /// <inheritdoc />
    public long? VisibleEverywhereAt(ActorId origin, long version)
    {
        if (!_keys.TryGetValue((origin, version), out var key) || !_seen.TryGetValue(key, out var at))
        {
            return null;
        }

        long latest = 0;
        for (var i = 0; i < at.Length; i++)
        {
            var seen = Interlocked.Read(ref at[i]);
            if (seen == 0)
            {
                return null;
            }

            latest = Math.Max(latest, seen);
        }

        return latest;
    }

    /// <summary>
    /// Where the writes slower than <paramref name="slowMs"/> were late: on the writer's own node (its commit
    /// reaching its own update stream: not replication) or on others, which nodes were last, and in which
    /// second of the run they were written.
    /// </summary>
    public void PrintSlowWrites(IReadOnlyList<(ActorId Origin, long Version, long CommittedAt)> writes, double slowMs)
    {
        var first = writes.Count == 0 ? 0 : writes.Min(w => w.CommittedAt);
        var slow = 0;
        var localSlow = 0;
        var lastNode = new int[_clients.Count];
        var perSecond = new SortedDictionary<int, int>();
        var remoteDelays = new List<double>();
        foreach (var w in writes)
        {
            if (!_keys.TryGetValue((w.Origin, w.Version), out var key) || !_seen.TryGetValue(key, out var at) || at.Any(t => t == 0))
            {
                continue;
            }

            var delays = at.Select(t => Math.Max(0, Stopwatch.GetElapsedTime(w.CommittedAt, t).TotalMilliseconds)).ToList();
            if (delays.Max() <= slowMs)
            {
                continue;
            }

            slow++;
            var writer = _ids.IndexOf(w.Origin);
            if (delays[writer] > slowMs)
            {
                localSlow++;
            }

            lastNode[delays.IndexOf(delays.Max())]++;
            remoteDelays.AddRange(delays.Where((_, i) => i != writer));
            var second = (int)Stopwatch.GetElapsedTime(first, w.CommittedAt).TotalSeconds;
            perSecond[second] = perSecond.GetValueOrDefault(second) + 1;
        }

        if (slow == 0)
        {
            return;
        }

        remoteDelays.Sort();
        Console.WriteLine(FormattableString.Invariant(
            $"  - writes slower than {slowMs:0} ms: {slow}; of them late on the writer's own node too: {localSlow}; the other nodes' delays in those writes: p50 {Percentiles.Of(remoteDelays, 50):F1} ms, p90 {Percentiles.Of(remoteDelays, 90):F1} ms"));
        Console.WriteLine($"  - last node to see a slow write (per node): {string.Join(" / ", lastNode)}; slow writes per second of the run: {string.Join(", ", perSecond.Select(p => $"{p.Key}:{p.Value}"))}");
    }

    /// <summary>Sum over the nodes of a Prometheus counter family (every series whose name starts with <paramref name="metric"/>).</summary>
    public async Task<double> SumMetricAsync(string metric)
    {
        var total = 0.0;
        foreach (var client in _clients)
        {
            var text = await client.GetStringAsync(new Uri("metrics", UriKind.Relative));
            foreach (var line in text.Split('\n'))
            {
                if (line.StartsWith(metric, StringComparison.Ordinal) && line.LastIndexOf(' ') is var space and > 0
                    && double.TryParse(line.AsSpan(space + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                {
                    total += value;
                }
            }
        }

        return total;
    }

    /// <summary>Waits until each client's node sees <paramref name="size"/> members alive (itself included).</summary>
    internal static async Task WaitForMembersAsync(IReadOnlyList<HttpClient> clients, int size, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            var alive = await Task.WhenAll(clients.Select(async c =>
            {
                try
                {
                    using var doc = JsonDocument.Parse(await c.GetStringAsync(new Uri("v1/members", UriKind.Relative)));
                    return doc.RootElement.EnumerateArray().Count(m => m.GetProperty("state").GetString() == "alive");
                }
                catch (HttpRequestException e) when (e.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable)
                {
                    // Membership busy while the node starts: asked again on the next round, until the timeout.
                    Console.Error.WriteLine($"  (a node answered 503 while starting: {e.Message})");
                    return -1;
                }
            }));
            if (alive.All(a => a == size))
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"the {size} agents did not all see each other alive within {timeout}");
    }

    /// <summary>Member id → state as the node behind <paramref name="client"/> sees it (itself left out).</summary>
    internal static async Task<Dictionary<string, string>> MemberStatesAsync(HttpClient client, CancellationToken cancel = default)
    {
        using var doc = JsonDocument.Parse(await client.GetStringAsync(new Uri("v1/members", UriKind.Relative), cancel));
        return doc.RootElement.EnumerateArray()
            .Where(m => !m.GetProperty("self").GetBoolean())
            .ToDictionary(m => m.GetProperty("id").GetString()!, m => m.GetProperty("state").GetString()!);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        await Task.WhenAll(_agents.Select(a => a.DisposeAsync().AsTask()));
        await Task.WhenAll(_watchers);
        _stop.Dispose();
        _dir.Dispose();
    }

    private static async Task<ActorId> SelfIdAsync(HttpClient client)
    {
        using var doc = JsonDocument.Parse(await client.GetStringAsync(new Uri("v1/members", UriKind.Relative)));
        var self = doc.RootElement.EnumerateArray().First(m => m.GetProperty("self").GetBoolean());
        return ActorId.Parse(self.GetProperty("id").GetString()!);
    }

    /// <summary>Opens the node's update stream of kv and returns the task reading it (until the cluster stops).</summary>
    private async Task<Task> WatchAsync(HttpClient http, int node)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri("v1/updates/kv", UriKind.Relative));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/x-ndjson"));
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, _stop.Token);
        response.EnsureSuccessStatusCode();
        var stream = await response.Content.ReadAsStreamAsync(_stop.Token);
        var size = _clients.Count;
        return Task.Run(async () =>
        {
            using (response)
            using (var reader = new StreamReader(stream, Encoding.UTF8))
            {
                try
                {
                    while (await reader.ReadLineAsync(_stop.Token) is { } line)
                    {
                        var received = Stopwatch.GetTimestamp();
                        using var doc = JsonDocument.Parse(line);
                        if (doc.RootElement.TryGetProperty("notify", out var notify))
                        {
                            var at = _seen.GetOrAdd(notify[1][0].GetString()!, _ => new long[size]);
                            Interlocked.CompareExchange(ref at[node], received, 0);
                        }
                        else if (doc.RootElement.TryGetProperty("error", out var error))
                        {
                            Console.Error.WriteLine($"node {node}: update stream ended: {error}");
                        }
                    }
                }
                catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException)
                {
                }
            }
        }, CancellationToken.None);
    }
}
