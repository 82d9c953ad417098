using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Corrosion.Actors;
using Corrosion.Agent.Membership;
using Corrosion.Agent.Node;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Corrosion.Bench.Replication;

/// <summary>
/// N whole nodes in this process (Kestrel and gossip on loopback, fast SWIM), each with a listener
/// that timestamps when a (origin actor, version) becomes visible in its store.
/// </summary>
internal sealed class BenchCluster : IAsyncDisposable
{
    private const string Schema = "CREATE TABLE kv (k TEXT NOT NULL PRIMARY KEY, v TEXT);";

    private static readonly SwimOptions FastSwim = SwimOptions.Lan with
    {
        ProbeIntervalMs = 100,
        ProbeTimeoutMs = 50,
        GossipIntervalMs = 50,
        ReconnectIntervalMs = 300,
        JoinRetryMaxMs = 500,
    };

    private readonly BenchDirectory _dir = new();
    private readonly List<CorrosionNode> _nodes = [];
    private readonly List<HttpClient> _clients = [];
    private readonly List<ConcurrentDictionary<(ActorId, long), long>> _visible = [];
    private long _keys;

    public int Count => _nodes.Count;

    public IReadOnlyList<CorrosionNode> Nodes => _nodes;

    public static async Task<BenchCluster> StartAsync(int size, Action<NodeOptions>? configure = null)
    {
        var cluster = new BenchCluster();
        var schema = cluster._dir.File("schema.sql");
        await File.WriteAllTextAsync(schema, Schema);
        string? seed = null;
        for (var i = 0; i < size; i++)
        {
            var options = new NodeOptions();
            options.Db.Path = cluster._dir.File($"node{i}.db");
            options.Db.SchemaPaths.Add(schema);
            options.Api.Addr = "127.0.0.1:0";
            options.Gossip = new TransportOptions { Plaintext = true, BindEndPoint = new IPEndPoint(IPAddress.Loopback, 0) };
            options.Membership = new MembershipOptions { Swim = FastSwim, Bootstrap = seed is null ? [] : [seed] };
            configure?.Invoke(options);
            var node = await CorrosionNode.StartAsync(options, NullLoggerFactory.Instance);
            seed ??= node.Transport!.LocalEndPoint.ToString();
            cluster._nodes.Add(node);
            cluster._clients.Add(new HttpClient { BaseAddress = node.ApiAddress });
            var visible = new ConcurrentDictionary<(ActorId, long), long>();
            cluster._visible.Add(visible);
            var listener = node.System.Spawn(() => new VisibilityListener(visible), "bench-visibility", new MailboxOptions(1 << 16, MailboxFullMode.Wait));
            node.Actors.Storage.Tell(new SubscribeStorageEvents(listener));
        }

        await cluster.WaitForMembershipAsync(TimeSpan.FromSeconds(60));
        return cluster;
    }

    /// <summary>Writes one fresh row on node <paramref name="node"/>; returns (origin, version, response timestamp).</summary>
    public async Task<(ActorId Origin, long Version, long CommittedAt)> WriteAsync(int node)
    {
        var key = Interlocked.Increment(ref _keys);
        var body = JsonSerializer.Serialize(new object[] { new object[] { "INSERT INTO kv (k, v) VALUES (?, ?)", new[] { $"k{key}", "v" } } });
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await _clients[node].PostAsync(new Uri("v1/transactions", UriKind.Relative), content);
        var json = await response.Content.ReadAsByteArrayAsync();
        var committedAt = Stopwatch.GetTimestamp();
        response.EnsureSuccessStatusCode();
        using var doc = JsonDocument.Parse(json);
        var version = FindVersion(doc.RootElement) ?? throw new InvalidOperationException("no version in response: " + Encoding.UTF8.GetString(json));
        return (_nodes[node].ActorId, version, committedAt);
    }

    /// <summary>When every node has held the version (latest of them), or null if some node lacks it.</summary>
    public long? VisibleEverywhereAt(ActorId origin, long version)
    {
        long latest = 0;
        foreach (var visible in _visible)
        {
            if (!visible.TryGetValue((origin, version), out var at))
            {
                return null;
            }

            latest = Math.Max(latest, at);
        }

        return latest;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        _dir.Dispose();
    }

    private static long? FindVersion(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                if (property.NameEquals("version") && property.Value.ValueKind == JsonValueKind.Number)
                {
                    return property.Value.GetInt64();
                }

                if (FindVersion(property.Value) is { } nested)
                {
                    return nested;
                }
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                if (FindVersion(item) is { } nested)
                {
                    return nested;
                }
            }
        }

        return null;
    }

    private async Task WaitForMembershipAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            var all = true;
            foreach (var node in _nodes)
            {
                var snapshot = await node.Actors.Membership!.Ask<MembersSnapshot>(r => new GetMembers(r), TimeSpan.FromSeconds(10));
                all &= snapshot.LiveCount == _nodes.Count;
            }

            if (all)
            {
                // Gossip learns peers from membership events; give the bridge a moment to deliver them.
                await Task.Delay(500);
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"membership did not converge on {_nodes.Count} nodes");
    }

    /// <summary>Timestamps each (actor, version) the first time the store reports it applied.</summary>
    private sealed class VisibilityListener(ConcurrentDictionary<(ActorId, long), long> visible) : Actor<StorageEvent>
    {
        protected override ValueTask OnReceive(StorageEvent message)
        {
            var now = Stopwatch.GetTimestamp();
            switch (message)
            {
                case ChangesCommitted committed:
                    visible.TryAdd((committed.Actor, committed.Version), now);
                    break;
                case ChangesMerged merged:
                    foreach (var applied in merged.Result.Applied)
                    {
                        for (var v = applied.Versions.Start; v <= applied.Versions.End; v++)
                        {
                            visible.TryAdd((applied.Actor, v), now);
                        }
                    }

                    break;
            }

            return ValueTask.CompletedTask;
        }
    }
}
