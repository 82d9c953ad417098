using Corrosion.Actors;
using Corrosion.Agent.Api;
using Corrosion.Agent.Membership;
using Corrosion.Agent.Replication;
using Corrosion.Agent.Transport;
using Corrosion.Agent.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace Corrosion.Agent.Node;

/// <summary>
/// A running node: the store, the actor system with its supervisor tree, and the HTTP API.
/// Start with <see cref="StartAsync"/>, stop with <see cref="DisposeAsync"/>.
/// </summary>
public sealed partial class CorrosionNode : IAsyncDisposable
{
    private readonly WebApplication _api;
    private readonly ILogger _log;
    private int _disposed;

    private CorrosionNode(NodeOptions options, CrdtStore store, ActorSystem system, NodeActors actors, WebApplication api, ILogger log)
    {
        Options = options;
        Store = store;
        System = system;
        Actors = actors;
        _api = api;
        _log = log;
    }

    /// <summary>The gossip transport, or null when replication is off.</summary>
    public IGossipTransport? Transport { get; private init; }

    /// <summary>The options the node runs with.</summary>
    public NodeOptions Options { get; }

    /// <summary>The node's database.</summary>
    public CrdtStore Store { get; }

    /// <summary>The node's actor system.</summary>
    public ActorSystem System { get; }

    /// <summary>References to the node's actors.</summary>
    public NodeActors Actors { get; }

    /// <summary>This node's actor id.</summary>
    public ActorId ActorId => Store.SiteId;

    /// <summary>The web application (for a test server's client).</summary>
    public WebApplication Api => _api;

    /// <summary>The API's address when listening on Kestrel.</summary>
    public Uri ApiAddress => ApiHost.BoundAddress(_api);

    /// <summary>Completes when the actor system stops, for example after an escalated failure.</summary>
    public Task WhenTerminated => System.WhenTerminated;

    /// <summary>Opens the store, starts the actors and the API.</summary>
    /// <param name="options">Validated options.</param>
    /// <param name="loggerFactory">Logging.</param>
    /// <param name="configureWebHost">Replaces Kestrel (tests pass <c>UseTestServer</c>).</param>
    /// <param name="time">The clock (virtual in tests).</param>
    public static async Task<CorrosionNode> StartAsync(
        NodeOptions options,
        ILoggerFactory loggerFactory,
        Action<IWebHostBuilder>? configureWebHost = null,
        TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        options.Validate();
        var log = loggerFactory.CreateLogger<CorrosionNode>();
        var store = CrdtStore.Open(StoreOptionsFor(options.Db, options.ClusterId), loggerFactory.CreateLogger<CrdtStore>(), time);
        ActorSystem? system = null;
        IGossipTransport? transport = null;
        try
        {
            if (options.EnableReplication)
            {
                transport = GossipTransportFactory.Create(options.Gossip, loggerFactory, time);
                await transport.StartAsync(CancellationToken.None);
            }

            system = ActorSystem.Create("corrosion", new ActorSystemOptions
            {
                LoggerFactory = loggerFactory,
                TimeProvider = time ?? TimeProvider.System,
            });
            var supervisor = system.Spawn(() => new NodeSupervisor(store, options, transport), "node");
            var actors = await supervisor.Ask<NodeActors>(reply => new GetNodeActors(reply), TimeSpan.FromSeconds(30));
            var context = new ApiContext(actors.Storage, store, options, ct => HealthAsync(store, actors.Membership, actors.Gossip, ct), actors.Membership, actors.Subscriptions);
            var api = ApiHost.Build(context, loggerFactory, configureWebHost);
            await api.StartAsync();
            var node = new CorrosionNode(options, store, system, actors, api, log) { Transport = transport };
            LogStarted(log, store.SiteId, configureWebHost is null ? node.ApiAddress.ToString() : "test server", options.Db.Path);
            return node;
        }
        catch
        {
            if (system is not null)
            {
                await system.TerminateAsync();
            }

            if (transport is not null)
            {
                await transport.DisposeAsync();
            }

            store.Dispose();
            throw;
        }
    }

    private static async Task<HealthReport> HealthAsync(
        CrdtStore store,
        ActorRef<MembershipCommand>? membership,
        ActorRef<GossipCommand>? gossip,
        CancellationToken cancellationToken)
    {
        var state = store.GetSyncState();
        var gaps = state.NeededVersions();
        var members = 1;
        if (membership is not null)
        {
            try
            {
                var snapshot = await membership.Ask<MembersSnapshot>(reply => new GetMembers(reply), TimeSpan.FromSeconds(5), cancellationToken);
                members = snapshot.LiveCount;
            }
            catch (Exception e) when (e is AskTimeoutException or ActorStoppedException)
            {
                // Membership is restarting: health still answers, counting this node alone.
            }
        }

        long queueSize = 0;
        if (gossip is not null)
        {
            try
            {
                var stats = await gossip.Ask<GossipStats>(reply => new GetGossipStats(reply), TimeSpan.FromSeconds(5), cancellationToken);
                queueSize = stats.PendingBroadcasts;
            }
            catch (Exception e) when (e is AskTimeoutException or ActorStoppedException)
            {
                // Gossip is restarting: its queue is being rebuilt, so none is reported.
            }
        }

        return new HealthReport(Members: members, Gaps: gaps, QueueSize: queueSize, P99Lag: 0);
    }

    internal static StoreOptions StoreOptionsFor(DbOptions db, ushort clusterId)
    {
        var schemaPaths = db.SchemaPaths;
        if (schemaPaths.Count == 0 && db.DemoSchema)
        {
            // The demo schema is written beside the database so the user can see (and copy) it.
            var directory = Path.GetDirectoryName(Path.GetFullPath(db.Path))!;
            Directory.CreateDirectory(directory);
            var demo = Path.Combine(directory, "demo-schema.sql");
            File.WriteAllText(demo, DemoSchema());
            schemaPaths = [demo];
        }

        return new StoreOptions(db.Path, schemaPaths, db.Synchronous, db.ReadPoolSize, clusterId, db.MaxChangesPerChunk);
    }

    /// <summary>The embedded demo schema.</summary>
    public static string DemoSchema()
    {
        using var stream = typeof(CorrosionNode).Assembly.GetManifestResourceStream("Corrosion.demo-schema.sql")
            ?? throw new InvalidOperationException("embedded demo schema is missing");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Stops the API, the actors and the store, in that order.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _api.StopAsync();
        await _api.DisposeAsync();
        await System.TerminateAsync();
        if (Transport is not null)
        {
            await Transport.DisposeAsync();
        }

        Store.Dispose();
        LogStopped(_log, Store.SiteId);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "node {ActorId} started: API on {Api}, database {Path}")]
    private static partial void LogStarted(ILogger logger, ActorId actorId, string api, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "node {ActorId} stopped")]
    private static partial void LogStopped(ILogger logger, ActorId actorId);
}
