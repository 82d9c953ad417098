using System.Net;
using Akka.Actor;
using Corrosion.Agent.Actors;
using Corrosion.Agent.Replication;
using Corrosion.Agent.Replication.Admission;
using Corrosion.Agent.Replication.Broadcast;
using Corrosion.Agent.Replication.Sync;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Tests.Storage;
using Corrosion.Agent.Tests.Support;
using Corrosion.Agent.Transport;

namespace Corrosion.Agent.Tests.Replication.Gossip;

/// <summary>
/// An in-process cluster: per node a temporary store, a storage actor, a plaintext TCP transport on
/// 127.0.0.1 wrapped in a <see cref="FaultyTransport"/>, and a gossip actor; peers are told with
/// <see cref="PeerUp"/> as membership would.
/// </summary>
internal sealed class GossipCluster : IAsyncDisposable
{
    public const ushort ClusterId = 7;

    public const string Schema = """
        CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, qty INTEGER DEFAULT 0 NOT NULL);
        """;

    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);

    private readonly StoreBuilder _stores = new StoreBuilder().WithSchema(Schema);
    private readonly ActorSystem _system = NodeActorSystem.Create("gossip-tests");
    private readonly List<GossipNode> _nodes = [];
    private int _spawned;
    private Timer? _digestRelay;

    /// <summary>Sync tuned short so tests run quickly; replace to slow it down.</summary>
    public SyncOptions Sync { get; set; } = new()
    {
        MinInterval = TimeSpan.FromMilliseconds(100),
        MaxInterval = TimeSpan.FromMilliseconds(300),
    };

    public BroadcastOptions Broadcast { get; init; } = new() { RetransmitInterval = TimeSpan.FromMilliseconds(50) };

    public GossipOptions Options { get; init; } = new();

    public int MaxChangesPerChunk { get; init; } = StoreOptions.DefaultMaxChangesPerChunk;

    /// <summary>
    /// Gives every node a <see cref="SyncDigestBoard"/> and, standing in for SWIM's piggyback, copies each
    /// node's published digest into the others' boards every 20 ms. Off: no node hears a peer's digest.
    /// </summary>
    public bool ShareDigests { get; init; }

    public IReadOnlyList<GossipNode> Nodes => _nodes;

    /// <summary>Starts <paramref name="count"/> nodes that all know each other.</summary>
    public async Task<IReadOnlyList<GossipNode>> StartAsync(int count)
    {
        for (var i = 0; i < count; i++)
        {
            var node = new GossipNode($"n{i}", _stores.Options($"n{i}") with { MaxChangesPerChunk = MaxChangesPerChunk });
            await StartNodeAsync(node);
            _nodes.Add(node);
        }

        foreach (var node in _nodes)
        {
            Introduce(node);
        }

        if (ShareDigests)
        {
            _digestRelay = new Timer(_ => RelayDigests(), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(20));
        }

        return _nodes;
    }

    /// <summary>Tells every running node about <paramref name="node"/>'s address and it about theirs.</summary>
    public void Introduce(GossipNode node)
    {
        foreach (var other in _nodes.Where(o => o != node && o.IsRunning))
        {
            other.Gossip!.Tell(new PeerUp(node.Id, node.Address!));
            node.Gossip!.Tell(new PeerUp(other.Id, other.Address!));
        }
    }

    /// <summary>What SWIM would carry: each running node's current digest (or none), recorded by every other running node.</summary>
    private void RelayDigests()
    {
        foreach (var from in _nodes.Where(n => n.IsRunning))
        {
            var digest = from.Digests.Local;
            foreach (var to in _nodes.Where(n => n != from && n.IsRunning))
            {
                to.Digests.Record(from.Id, digest);
            }
        }
    }

    /// <summary>Stops a node's actors, transport and store, as a process exit would.</summary>
    public async Task StopNodeAsync(GossipNode node)
    {
        foreach (var other in _nodes.Where(o => o != node && o.IsRunning))
        {
            other.Gossip!.Tell(new PeerDown(node.Id));
        }

        await StopAsync(node.Gossip!.Untyped);
        await StopAsync(node.Storage!.Untyped);
        await node.Transport!.DisposeAsync();
        node.Store!.Dispose();
        node.Gossip = null;
        node.Storage = null;
        node.Transport = null;
        node.Store = null;
    }

    /// <summary>Starts a stopped node again on its database (on a new port) and introduces it.</summary>
    public async Task RestartNodeAsync(GossipNode node)
    {
        await StartNodeAsync(node);
        Introduce(node);
    }

    private async Task StartNodeAsync(GossipNode node)
    {
        var generation = Interlocked.Increment(ref _spawned);
        node.Store = CrdtStore.Open(node.StoreOptions);
        node.Id = node.Store.SiteId;
        var store = node.Store;
        node.Storage = _system.ActorOf(StorageActor.Props(store), $"{node.Name}-storage-{generation}").Typed<StorageCommand>();
        var tcp = new TcpGossipTransport(
            new TransportOptions
            {
                Transport = TransportKind.Tcp,
                Plaintext = true,
                ClusterId = ClusterId,
                BindEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
                ConnectTimeout = TimeSpan.FromSeconds(2),
                ReconnectBackoffMin = TimeSpan.FromMilliseconds(20),
                ReconnectBackoffMax = TimeSpan.FromMilliseconds(200),
            },
            random: new Random(generation));
        await tcp.StartAsync(CancellationToken.None);
        node.Transport = new FaultyTransport(tcp);
        node.Address = tcp.LocalEndPoint;
        var storage = node.Storage;
        var transport = node.Transport;
        var id = node.Id;
        node.Admission = new WriteAdmission(Options.MaxWriteWait);
        node.Gossip = _system.ActorOf(
                GossipActor.Props(storage, transport, id, ClusterId, Broadcast, Sync, new Random(generation), Options, digests: node.Digests, admission: node.Admission),
                $"{node.Name}-gossip-{generation}")
            .Typed<GossipCommand>();

        // Answered after PreStart, whose storage subscription is then queued ahead of any write the test makes.
        await StatsAsync(node);
        await node.Storage.Ask<SyncState>(r => new ReadSyncState(r), AskTimeout);
    }

    /// <summary>Cuts every link between <paramref name="node"/> and the others, both ways.</summary>
    public void Isolate(GossipNode node)
    {
        foreach (var other in _nodes.Where(o => o != node))
        {
            node.Transport!.Cut(other.Address!);
            other.Transport!.Cut(node.Address!);
        }
    }

    /// <summary>Restores every link of every node.</summary>
    public void HealAll()
    {
        foreach (var node in _nodes.Where(n => n.IsRunning))
        {
            node.Transport!.HealAll();
        }
    }

    public static async Task<TransactionResult> WriteAsync(GossipNode node, params Statement[] statements)
    {
        var outcome = await node.Storage!.Ask<TransactionOutcome>(r => new ExecuteTransaction(statements, null, r), AskTimeout);
        Assert.True(outcome.Result is not null, outcome.Error);
        return outcome.Result!;
    }

    public static Task<TransactionResult> WriteAsync(GossipNode node, string sql, params object?[] args) =>
        WriteAsync(node, new Statement(sql, args.Select(SqlValue.FromObject).ToArray()));

    /// <summary>Polls an async condition until it holds or the deadline passes (never a bare sleep).</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, TimeSpan? deadline = null)
    {
        var limit = deadline ?? TimeSpan.FromSeconds(30);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > limit)
            {
                Assert.Fail($"not within {limit}: {what}");
            }

            await Task.Delay(20);
        }
    }

    public static Task EventuallyAsync(Func<bool> condition, string what, TimeSpan? deadline = null) =>
        EventuallyAsync(() => Task.FromResult(condition()), what, deadline);

    public static Task<GossipStats> StatsAsync(GossipNode node) =>
        node.Gossip!.Ask<GossipStats>(r => new GetGossipStats(r), AskTimeout);

    /// <summary>Stops an actor (children first, then PostStop) and waits until it has.</summary>
    private static async Task StopAsync(IActorRef actor)
    {
        await actor.GracefulStop(AskTimeout);
    }

    public async ValueTask DisposeAsync()
    {
        if (_digestRelay is not null)
        {
            await _digestRelay.DisposeAsync();
        }

        await _system.Terminate();
        foreach (var node in _nodes.Where(n => n.IsRunning))
        {
            await node.Transport!.DisposeAsync();
            node.Store!.Dispose();
        }

        _stores.Dispose();
    }
}

/// <summary>One node of a <see cref="GossipCluster"/>; its parts are null while it is stopped.</summary>
internal sealed class GossipNode(string name, StoreOptions storeOptions)
{
    public string Name { get; } = name;

    public StoreOptions StoreOptions { get; } = storeOptions;

    public ActorId Id { get; set; }

    public CrdtStore? Store { get; set; }

    public ActorRef<StorageCommand>? Storage { get; set; }

    public FaultyTransport? Transport { get; set; }

    public EndPoint? Address { get; set; }

    public ActorRef<GossipCommand>? Gossip { get; set; }

    /// <summary>The gate this node's local writes would pass (a new one per start); the tests' writes go to storage directly.</summary>
    public WriteAdmission? Admission { get; set; }

    /// <summary>The node's sync digests (its own published, its peers' heard); kept across restarts like SWIM's would be.</summary>
    public SyncDigestBoard Digests { get; } = new();

    public bool IsRunning => Gossip is not null;

    /// <summary>The items table as sorted text rows, read on the store's read pool.</summary>
    public List<string> Items() =>
        Store!.Rows("SELECT id || '|' || name || '|' || qty FROM items ORDER BY id").Select(r => r[0].AsText).ToList();

    public long Count() => Store!.Scalar("SELECT count(*) FROM items").AsInteger;

    /// <summary>This node's sync state, read by its storage actor (the writer connection is the actor's alone).</summary>
    public Task<SyncState> SyncStateAsync() =>
        Storage!.Ask<SyncState>(r => new ReadSyncState(r), TimeSpan.FromSeconds(30));

    /// <summary>True when this node has applied every version up to <paramref name="head"/> of <paramref name="actor"/>, with no gap.</summary>
    public async Task<bool> HasAllOfAsync(ActorId actor, long head)
    {
        var state = await SyncStateAsync();
        return state.Heads.GetValueOrDefault(actor) >= head
            && !state.Needs.ContainsKey(actor)
            && !state.PartialNeeds.ContainsKey(actor);
    }
}
