using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Corrosion.Agent.Actors;
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
internal sealed class BenchCluster : IBenchCluster
{
    public const string Schema = "CREATE TABLE kv (k TEXT NOT NULL PRIMARY KEY, v TEXT);";

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

    /// <summary>A node on loopback ports chosen by the OS, plaintext gossip, fast SWIM, joining <paramref name="seed"/>.</summary>
    public static NodeOptions NodeOptionsFor(string dbPath, string schemaPath, string? seed)
    {
        var options = new NodeOptions();
        options.Db.Path = dbPath;
        options.Db.SchemaPaths.Add(schemaPath);
        options.Api.Addr = "127.0.0.1:0";
        options.Gossip = new TransportOptions { Plaintext = true, BindEndPoint = new IPEndPoint(IPAddress.Loopback, 0) };
        options.Membership = new MembershipOptions { Swim = FastSwim, Bootstrap = seed is null ? [] : [seed] };
        return options;
    }

    public static async Task<BenchCluster> StartAsync(int size, Action<NodeOptions>? configure = null)
    {
        var cluster = new BenchCluster();
        var schema = cluster._dir.File("schema.sql");
        await File.WriteAllTextAsync(schema, Schema);
        string? seed = null;
        for (var i = 0; i < size; i++)
        {
            var options = NodeOptionsFor(cluster._dir.File($"node{i}.db"), schema, seed);
            configure?.Invoke(options);
            var node = await CorrosionNode.StartAsync(options, NullLoggerFactory.Instance);
            seed ??= node.Transport!.LocalEndPoint.ToString();
            cluster._nodes.Add(node);
            cluster._clients.Add(new HttpClient { BaseAddress = node.ApiAddress });
            var visible = new ConcurrentDictionary<(ActorId, long), long>();
            cluster._visible.Add(visible);
            Visibility.Attach(node, (actor, version, at) => visible.TryAdd((actor, version), at));
        }

        await cluster.WaitForMembershipAsync(TimeSpan.FromSeconds(60));
        return cluster;
    }

    /// <summary>Writes one fresh row on node <paramref name="node"/>; returns (origin, version, response timestamp).</summary>
    public Task<(ActorId Origin, long Version, long CommittedAt)> WriteAsync(int node) =>
        RowWriter.WriteAsync(_clients[node], _nodes[node].ActorId, Interlocked.Increment(ref _keys));

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
}
