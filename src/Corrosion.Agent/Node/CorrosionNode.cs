using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Hosting;
using Akka.Hosting.Logging;
using Corrosion.Agent.Actors;
using Corrosion.Agent.Api;
using Corrosion.Agent.ClientGateway;
using Corrosion.Agent.Membership;
using Corrosion.Agent.Replication;
using Corrosion.Agent.Transport;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace Corrosion.Agent.Node;

/// <summary>
/// A running node: the store, its actors under <c>/user/corrosion</c> in an Akka.NET actor system (its
/// own, or the host's), and the HTTP API. Start with <see cref="StartAsync(NodeOptions, ILoggerFactory, Action{IWebHostBuilder}?, TimeProvider?)"/>,
/// stop with <see cref="DisposeAsync"/>.
/// </summary>
public sealed partial class CorrosionNode : IAsyncDisposable
{
    /// <summary>The actor system's name when the node creates its own.</summary>
    public const string SystemName = "corrosion";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    private readonly WebApplication _api;
    private readonly ILogger _log;
    private readonly IActorRef _guardian;
    private readonly NodeTermination _termination;
    private readonly bool _ownsSystem;
    private readonly NodeTelemetry _telemetry;
    private int _disposed;

    private CorrosionNode(
        NodeOptions options,
        CrdtStore store,
        ActorSystem system,
        bool ownsSystem,
        IActorRef guardian,
        NodeTermination termination,
        NodeActors actors,
        WebApplication api,
        NodeTelemetry telemetry,
        ILogger log)
    {
        _telemetry = telemetry;
        Options = options;
        Store = store;
        System = system;
        _ownsSystem = ownsSystem;
        _guardian = guardian;
        _termination = termination;
        Actors = actors;
        _api = api;
        _log = log;
    }

    /// <summary>The gossip transport, or null when replication is off.</summary>
    public IGossipTransport? Transport { get; private init; }

    /// <summary>The gate local writes pass, closed by gossip while a peer trails too far (<c>gossip.replication.max_peer_lag_changes</c>).</summary>
    public Replication.Admission.WriteAdmission Admission { get; private init; } = null!;

    /// <summary>The client gateway's Akka.Remote address (<c>akka.tcp://corrosion@host:port/user/corrosion/client</c>), or null when <c>akka_api.enabled</c> is false.</summary>
    public string? AkkaApiAddress { get; private init; }

    /// <summary>The options the node runs with.</summary>
    public NodeOptions Options { get; }

    /// <summary>The node's database.</summary>
    public CrdtStore Store { get; }

    /// <summary>The actor system the node's actors run in (the node's own, or the host's).</summary>
    public ActorSystem System { get; }

    /// <summary>References to the node's actors.</summary>
    public NodeActors Actors { get; }

    /// <summary>This node's actor id.</summary>
    public ActorId ActorId => Store.SiteId;

    /// <summary>The web application (for a test server's client).</summary>
    public WebApplication Api => _api;

    /// <summary>The node's live figures (gauges and <c>/v1/health</c>).</summary>
    public NodeTelemetry Telemetry => _telemetry;

    /// <summary>The separate metrics listener's address (<c>telemetry.prometheus.addr</c>), or null.</summary>
    public Uri? MetricsAddress => ApiHost.MetricsAddress(_api);

    /// <summary>The API's address when listening on Kestrel.</summary>
    public Uri ApiAddress => ApiHost.BoundAddress(_api);

    /// <summary>
    /// Completes when the node's actors have stopped: with the failure that stopped them (an actor
    /// kept failing; the node's own actor system then terminates too), or null after a normal stop.
    /// </summary>
    public Task<Exception?> WhenTerminated => _termination.WhenStopped;

    /// <summary>The failure that stopped the node's actors; null while running or after a normal stop.</summary>
    public Exception? TerminationCause => _termination.Cause;

    /// <summary>Opens the store, starts the actors in an actor system of the node's own, and the API.</summary>
    /// <param name="options">Validated options (<see cref="NodeOptions.Akka"/> configures the actor system).</param>
    /// <param name="loggerFactory">Logging, for the node's lines and Akka's.</param>
    /// <param name="configureWebHost">Replaces Kestrel (tests pass <c>UseTestServer</c>).</param>
    /// <param name="time">The clock of the store, transport and actors (virtual in tests); timers run on Akka's scheduler.</param>
    public static Task<CorrosionNode> StartAsync(
        NodeOptions options,
        ILoggerFactory loggerFactory,
        Action<IWebHostBuilder>? configureWebHost = null,
        TimeProvider? time = null) =>
        StartAsync(options, loggerFactory, system: null, configureWebHost, time);

    /// <summary>
    /// Opens the store, starts the actors under <c>/user/corrosion</c> of <paramref name="system"/>
    /// (a host's, which needs the node's mailbox settings: see <see cref="AkkaSettings"/>), or of a new
    /// system of the node's own when null, and the API. The actors are registered in Akka.Hosting's
    /// <see cref="ActorRegistry"/> of the system under <see cref="NodeSupervisor"/>,
    /// <see cref="StorageActor"/>, <see cref="MembershipActor"/>, <see cref="GossipActor"/> and
    /// <see cref="Subscriptions.SubscriptionActor"/>.
    /// </summary>
    /// <param name="options">Validated options.</param>
    /// <param name="loggerFactory">Logging.</param>
    /// <param name="system">The actor system to run in; null creates the node's own (stopped with the node).</param>
    /// <param name="configureWebHost">Replaces Kestrel (tests pass <c>UseTestServer</c>).</param>
    /// <param name="time">The clock of the store, transport and actors.</param>
    public static async Task<CorrosionNode> StartAsync(
        NodeOptions options,
        ILoggerFactory loggerFactory,
        ActorSystem? system,
        Action<IWebHostBuilder>? configureWebHost = null,
        TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        options.Validate();
        var log = loggerFactory.CreateLogger<CorrosionNode>();
        var store = CrdtStore.Open(StoreOptionsFor(options.Db, options.ClusterId), loggerFactory.CreateLogger<CrdtStore>(), time);
        var ownsSystem = system is null;
        IActorRef? guardian = null;
        IGossipTransport? transport = null;
        NodeTelemetry? telemetry = null;
        try
        {
            if (options.EnableReplication)
            {
                transport = GossipTransportFactory.Create(options.Gossip, loggerFactory, time);
                await transport.StartAsync(CancellationToken.None);
            }

            system ??= CreateSystem(options, loggerFactory);
            AkkaSettings.RequireNodeMailboxes(system.Settings.Config);
            if (options.AkkaApi.Enabled)
            {
                ClientGatewaySettings.RequireRemoting(system);
            }

            var termination = new NodeTermination();
            telemetry = new NodeTelemetry(store, options.Db.Path, transport, options.Telemetry.LagWindow, time).Register();
            var admission = new Replication.Admission.WriteAdmission(options.Replication.MaxWriteWait, time);
            guardian = system.ActorOf(NodeSupervisor.Props(store, options, transport, termination, time: time, telemetry: telemetry, admission: admission), NodeSupervisor.Name);
            var actors = await guardian.Typed<NodeCommand>().Ask<NodeActors>(reply => new GetNodeActors(reply), StartTimeout);
            Register(system, guardian, actors);
            var context = new ApiContext(actors.Storage, store, options, ct => HealthAsync(telemetry, actors.Membership, ct), actors.Membership, actors.Subscriptions) { Admission = admission };
            var api = ApiHost.Build(context, loggerFactory, configureWebHost);
            await api.StartAsync();
            var node = new CorrosionNode(options, store, system, ownsSystem, guardian, termination, actors, api, telemetry, log)
            {
                Transport = transport,
                Admission = admission,
                AkkaApiAddress = options.AkkaApi.Enabled ? ClientGatewaySettings.GatewayAddress(system) : null,
            };
            if (ownsSystem)
            {
                _ = node.TerminateSystemAfterFailureAsync();
            }

            LogStarted(log, store.SiteId, configureWebHost is null ? node.ApiAddress.ToString() : "test server", options.Db.Path);
            return node;
        }
        catch
        {
            telemetry?.Dispose();
            if (ownsSystem && system is not null)
            {
                await system.Terminate();
            }
            else if (guardian is not null)
            {
                await StopGuardianAsync(guardian);
            }

            if (transport is not null)
            {
                await transport.DisposeAsync();
            }

            store.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The node's own actor system, made as <see cref="ActorSystem.Create(string, ActorSystemSetup)"/> makes
    /// one, but without its read of the application's app.config <c>akka</c> section
    /// (<c>ConfigurationFactory.Load()</c>, evaluated even when the setup carries the whole configuration):
    /// the node's configuration is complete, and that read alone loaded System.Configuration.ConfigurationManager
    /// and System.Private.Xml and JIT-compiled ~350 methods, about 5 MiB of an idle node's memory.
    /// </summary>
    private static Akka.Actor.Internal.ActorSystemImpl CreateSystem(NodeOptions options, ILoggerFactory loggerFactory)
    {
        var config = ClientGatewaySettings.ActorSystemConfig(options);
        var setup = ClientGatewaySettings.WithTls(
            BootstrapSetup.Create().WithConfig(config).And(new LoggerFactorySetup(loggerFactory)),
            options.AkkaApi);
        var system = new Akka.Actor.Internal.ActorSystemImpl(SystemName, config, setup);
        system.Start();
        return system;
    }

    private static void Register(ActorSystem system, IActorRef guardian, NodeActors actors)
    {
        var registry = ActorRegistry.For(system);
        registry.Register<NodeSupervisor>(guardian, overwrite: true);
        registry.Register<StorageActor>(actors.Storage.Untyped, overwrite: true);
        if (actors.Membership is { } membership)
        {
            registry.Register<MembershipActor>(membership.Untyped, overwrite: true);
        }

        if (actors.Gossip is { } gossip)
        {
            registry.Register<GossipActor>(gossip.Untyped, overwrite: true);
        }

        if (actors.Subscriptions is { } subscriptions)
        {
            registry.Register<Subscriptions.SubscriptionActor>(subscriptions.Untyped, overwrite: true);
        }
    }

    private static async Task StopGuardianAsync(IActorRef guardian)
    {
        try
        {
            await guardian.GracefulStop(StopTimeout);
        }
        catch (TaskCanceledException)
        {
            // Not stopped in time: the store closes under it (its writes fail, nothing half-applied).
        }
    }

    private async Task TerminateSystemAfterFailureAsync()
    {
        if (await WhenTerminated.ConfigureAwait(false) is not null)
        {
            await System.Terminate().ConfigureAwait(false);
        }
    }

    internal static async Task<HealthReport> HealthAsync(
        NodeTelemetry telemetry,
        ActorRef<MembershipCommand>? membership,
        CancellationToken cancellationToken)
    {
        var members = 1;
        if (membership is not null)
        {
            try
            {
                var snapshot = await membership.Ask<MembersSnapshot>(reply => new GetMembers(reply), TimeSpan.FromSeconds(5), cancellationToken);
                members = snapshot.LiveCount;
            }
            catch (AskTimeoutException)
            {
                // Membership is restarting: health still answers, counting this node alone.
            }
        }

        // From the figures the actors keep current: no store access off the writer's thread.
        return new HealthReport(Members: members, Gaps: telemetry.Gaps, QueueSize: telemetry.QueueSize, P99Lag: telemetry.P99Lag);
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

        return new StoreOptions(db.Path, schemaPaths, db.Synchronous, db.ReadPoolSize, clusterId, db.MaxChangesPerChunk, (int)db.MaxValueSize.Bytes, db.CheckpointPages)
        {
            CompactionInterval = db.CompactionInterval,
            CompactionBatch = db.CompactionBatch,
        };
    }

    /// <summary>
    /// Gives back memory the node keeps only for speed, for a process that went quiet after a burst
    /// (<c>corrosion agent</c> calls it; see <see cref="MemoryOptions"/>): the SQLite page caches of the
    /// writer and the idle read connections, the broadcast's remembered payload ids beyond the latest
    /// few, and (while no member is live) the payloads kept for later transmissions, which sync repairs.
    /// The freed managed memory is the caller's to collect.
    /// </summary>
    /// <param name="timeout">How long to wait for each actor (a busy actor's answer is not waited for longer).</param>
    /// <returns>What was given back.</returns>
    public async Task<NodeMemoryReleased> ReleaseMemoryAsync(TimeSpan timeout)
    {
        var storage = Actors.Storage.Ask<long>(reply => new ReleaseStorageMemory(reply), timeout);
        var gossip = Actors.Gossip is { } g
            ? g.Ask<GossipMemoryReleased>(reply => new ReleaseGossipMemory(reply), timeout)
            : Task.FromResult(new GossipMemoryReleased(0, 0));
        long cache = 0;
        var ids = new GossipMemoryReleased(0, 0);
        try
        {
            cache = await storage;
        }
        catch (AskTimeoutException)
        {
            // Busy again: the next quiet spell will do it.
        }

        try
        {
            ids = await gossip;
        }
        catch (AskTimeoutException)
        {
        }

        return new NodeMemoryReleased(cache, ids.SeenIdsForgotten, ids.PendingDropped);
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
        // The guardian stops its children first (membership leaves the cluster), then itself; the
        // node's own system does it through Akka's coordinated shutdown.
        if (_ownsSystem)
        {
            await System.Terminate();
        }
        else
        {
            await StopGuardianAsync(_guardian);
        }

        if (Transport is not null)
        {
            await Transport.DisposeAsync();
        }

        _telemetry.Dispose();
        Store.Dispose();
        LogStopped(_log, Store.SiteId);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "node {ActorId} started: API on {Api}, database {Path}")]
    private static partial void LogStarted(ILogger logger, ActorId actorId, string api, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "node {ActorId} stopped")]
    private static partial void LogStopped(ILogger logger, ActorId actorId);
}
