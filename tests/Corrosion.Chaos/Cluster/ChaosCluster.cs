using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Corrosion.Chaos.Network;
using Corrosion.Chaos.Workload;
using Corrosion.Client;

namespace Corrosion.Chaos.Cluster;

/// <summary>
/// The nodes of one run: their configs (every node bootstraps from all the others, gossip over
/// plaintext TCP on its namespace's address, the API on the namespace's loopback), start-up, and
/// the record of crashes.
/// </summary>
public sealed class ChaosCluster : IAsyncDisposable
{
    /// <summary>Gossip port (UDP for SWIM, TCP for the transport) on every node's address.</summary>
    public const int GossipPort = 8787;

    private readonly ConcurrentQueue<NodeCrash> _crashes = new();
    private readonly Action<string> _log;

    private ChaosCluster(ChaosNetwork network, IReadOnlyList<ChaosNode> nodes, Action<string> log)
    {
        Network = network;
        Nodes = nodes;
        _log = log;
    }

    public ChaosNetwork Network { get; }

    public IReadOnlyList<ChaosNode> Nodes { get; }

    /// <summary>Exits no one asked for.</summary>
    public IReadOnlyCollection<NodeCrash> Crashes => _crashes;

    /// <summary>
    /// Settings every chaos node gets on top of its addresses: faster sync and reconnection than the
    /// defaults (whose sync pause grows to 15 s and whose partition merge runs every 10 s), so that
    /// "converged within 5 s of the heal" measures replication rather than waiting for a timer;
    /// small changeset chunks, so multi-statement transactions travel in several chunks and partial
    /// versions are buffered and completed under loss.
    /// </summary>
    public const string DefaultTuning = """
        db.max_changes_per_chunk = 4
        gossip.sync.min_interval = 500ms
        gossip.sync.max_interval = 2s
        membership.reconnect_interval = 1s
        membership.join_retry_max = 2s
        """;

    public static async Task<ChaosCluster> CreateAsync(ChaosNetwork network, string root, string corrosionDll, string tuning, Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(network);
        Directory.CreateDirectory(root);
        var schema = Path.Combine(root, "schema.sql");
        await File.WriteAllTextAsync(schema, ChaosSchema.Sql);
        var nodes = new List<ChaosNode>();
        ChaosCluster? cluster = null;
        try
        {
            for (var i = 0; i < network.Nodes; i++)
            {
                var directory = Path.Combine(root, string.Create(CultureInfo.InvariantCulture, $"node{i}"));
                Directory.CreateDirectory(directory);
                var index = i;
                nodes.Add(new ChaosNode(i, network.NodeNamespace(i), ChaosNetwork.NodeAddress(i), directory, corrosionDll, c => cluster?._crashes.Enqueue(c), log));
                await File.WriteAllTextAsync(nodes[i].ConfigPath, NodeConfig(network, index, directory, schema, tuning));
            }

            cluster = new ChaosCluster(network, nodes, log);
            return cluster;
        }
        catch
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }

            throw;
        }
    }

    private static string NodeConfig(ChaosNetwork network, int index, string directory, string schema, string tuning)
    {
        var peers = Enumerable.Range(0, network.Nodes).Where(n => n != index)
            .Select(n => JsonSerializer.Serialize($"{ChaosNetwork.NodeAddress(n)}:{GossipPort}"));
        return string.Create(CultureInfo.InvariantCulture, $"""
            # Written by the chaos harness for node {index} (namespace {network.NodeNamespace(index)}).
            db.path = {JsonSerializer.Serialize(Path.Combine(directory, "node.db"))}
            db.schema_paths = [{JsonSerializer.Serialize(schema)}]
            api.addr = "127.0.0.1:8080"
            gossip.addr = "{ChaosNetwork.NodeAddress(index)}:{GossipPort}"
            gossip.transport = tcp
            gossip.plaintext = true
            gossip.cluster_id = 77
            membership.bootstrap = [{string.Join(", ", peers)}]
            {tuning}
            """);
    }

    /// <summary>Starts every node at once and waits until each sees all members alive.</summary>
    public async Task StartAllAsync(TimeSpan deadline, CancellationToken cancellationToken)
    {
        await Task.WhenAll(Nodes.Select(n => n.StartAsync(deadline, cancellationToken)));
        await Waits.UntilAsync(
            async ct => (await Task.WhenAll(Nodes.Select(n => MembersAsync(n, ct)))).All(m => m == Nodes.Count),
            $"every node sees {Nodes.Count} live members",
            deadline,
            cancellationToken);
        _log($"cluster: {Nodes.Count} nodes up and joined");
    }

    /// <summary>Live members a node reports in <c>/v1/health</c> (itself included), 0 when it does not answer.</summary>
    public static async Task<int> MembersAsync(ChaosNode node, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(node);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            var health = await node.Client.GetJsonAsync("v1/health", timeout.Token);
            return health.GetProperty("response").GetProperty("members").GetInt32();
        }
        catch (Exception e) when (e is CorrosionException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return 0;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            await node.DisposeAsync();
        }
    }
}
