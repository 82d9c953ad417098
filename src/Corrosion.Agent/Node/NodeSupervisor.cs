using Akka.Actor;
using Corrosion.Agent.Actors;
using Corrosion.Agent.ClientGateway;
using Corrosion.Agent.Membership;
using Corrosion.Agent.Replication;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Subscriptions;
using Corrosion.Agent.Telemetry;
using Corrosion.Agent.Transport;
using Microsoft.Extensions.Logging;

namespace Corrosion.Agent.Node;

/// <summary>
/// The node's guardian (<c>/user/corrosion</c>), parent of its actors. Children restart one-for-one
/// with exponential backoff (<see cref="NodeSupervisorStrategy"/>); a child that keeps failing stops
/// the node: the cause is logged and recorded in <see cref="NodeTermination"/>, and this actor stops
/// with all its children (the process then exits non-zero).
/// </summary>
public sealed partial class NodeSupervisor : UntypedActor, IWithTimers
{
    /// <summary>The guardian's name under <c>/user</c>.</summary>
    public const string Name = "corrosion";

    private readonly CrdtStore _store;
    // Outlives restarts of the writer, so gossip and subscriptions keep hearing about changes.
    private readonly StorageListeners _storageListeners = new();
    private readonly NodeOptions? _options;
    private readonly IGossipTransport? _transport;
    private readonly NodeTermination _termination;
    private readonly NodeSupervisorStrategy _strategy;
    private readonly ILogger _log;
    private readonly TimeProvider? _time;
    private readonly NodeTelemetry? _telemetry;
    private readonly Replication.Admission.WriteAdmission? _admission;
    private ActorRef<StorageCommand>? _storage;
    private ActorRef<MembershipCommand>? _membership;
    private ActorRef<GossipCommand>? _gossip;
    private ActorRef<SubscriptionCommand>? _subscriptions;
    private IActorRef? _bridge;

    /// <summary>Creates the supervisor over the node's store (use <see cref="Props"/>).</summary>
    public NodeSupervisor(CrdtStore store, NodeOptions? options, IGossipTransport? transport, NodeTermination termination, SupervisionOptions supervision, Random? random, TimeProvider? time, NodeTelemetry? telemetry = null, Replication.Admission.WriteAdmission? admission = null)
    {
        _store = store;
        _admission = admission;
        _time = time;
        _telemetry = telemetry;
        _options = options;
        _transport = transport;
        _termination = termination;
        _log = Context.LoggerFor<NodeSupervisor>();
        _strategy = new NodeSupervisorStrategy(supervision, ScheduleRestart, GiveUp, random);
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>The supervisor's props.</summary>
    /// <param name="store">The node's database.</param>
    /// <param name="options">The node's options; null runs storage alone (no membership, gossip or subscriptions).</param>
    /// <param name="transport">The started gossip transport (the node owns it); null runs without replication.</param>
    /// <param name="termination">Told the cause when the node gives up, and when this actor has stopped.</param>
    /// <param name="supervision">Backoff and restart limit; null takes <see cref="NodeOptions.Supervision"/> (or the defaults).</param>
    /// <param name="random">Source of backoff jitter (seeded in tests).</param>
    /// <param name="time">The clock the actors read (timers run on Akka's scheduler); null for the system clock.</param>
    /// <param name="telemetry">The node's live figures, written by its actors; null records none.</param>
    /// <param name="admission">The gate the node's local writes pass, which gossip closes while a peer trails too far; null delays none.</param>
    /// <returns>Props to create the guardian with, named <see cref="Name"/>.</returns>
    public static Props Props(
        CrdtStore store,
        NodeOptions? options = null,
        IGossipTransport? transport = null,
        NodeTermination? termination = null,
        SupervisionOptions? supervision = null,
        Random? random = null,
        TimeProvider? time = null,
        NodeTelemetry? telemetry = null,
        Replication.Admission.WriteAdmission? admission = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        var ending = termination ?? new NodeTermination();
        var settings = (supervision ?? options?.Supervision ?? new SupervisionOptions()).Validate();
        return Akka.Actor.Props.Create(() => new NodeSupervisor(store, options, transport, ending, settings, random, time, telemetry, admission));
    }

    /// <inheritdoc />
    protected override SupervisorStrategy SupervisorStrategy() => _strategy;

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case GetNodeActors get:
                get.ReplyTo.Tell(new NodeActors(_storage!, _membership, _gossip, _subscriptions));
                break;
            case RestartChild restart:
                OnRestartChild(restart);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <inheritdoc />
    protected override void PreStart()
    {
        Context.ActorOf(DeadLetterCounter.Props(), "dead-letters");
        _storage = Context.ActorOf(StorageActor.Props(_store, _storageListeners, _options?.Db.GroupCommitMax ?? StorageActor.DefaultGroupCommitMax, _telemetry, _time), "storage").Typed<StorageCommand>();
        if (_options is not { } options)
        {
            return;
        }

        var storage = _storage;
        var subscriptionsPath = options.Subscriptions.ResolvePath(options.Db.Path);
        _subscriptions = Context.ActorOf(SubscriptionActor.Props(_store, storage, options.Subscriptions, subscriptionsPath, time: _time), "subscriptions")
            .Typed<SubscriptionCommand>();
        // SWIM's UDP socket takes the transport's port, so a member's address is also its gossip address.
        var bind = _transport?.LocalEndPoint is System.Net.IPEndPoint bound ? bound : options.Gossip.BindEndPoint;
        // Gossip publishes this node's sync digest here and SWIM carries it; a new board per start, so nothing stale survives a restart of this actor.
        var digests = new Replication.Sync.SyncDigestBoard(_time);
        _membership = Context.ActorOf(MembershipActor.Props(_store.SiteId, bind, options.ClusterId, options.Membership, storage, time: _time, telemetry: _telemetry, digests: digests), "membership")
            .Typed<MembershipCommand>();
        if (_transport is { } transport)
        {
            var seed = Random.Shared.Next();
            _gossip = Context.ActorOf(
                    GossipActor.Props(storage, transport, _store.SiteId, options.ClusterId, options.Broadcast, options.Sync, new Random(seed), options.Replication, _time, _telemetry, digests, _admission),
                    "gossip")
                .Typed<GossipCommand>();
            _bridge = Context.ActorOf(MemberGossipBridge.Props(_membership, _gossip), "member-gossip-bridge");
        }

        if (options.AkkaApi.Enabled)
        {
            var membership = _membership;
            // The same figures as GET /v1/health (a node without telemetry reports zeros).
            var telemetry = _telemetry ?? new NodeTelemetry(_store, options.Db.Path, _transport, options.Telemetry.LagWindow, _time);
            Context.ActorOf(
                ClientGatewayActor.Props(_store, options, storage, _subscriptions, membership, ct => CorrosionNode.HealthAsync(telemetry, membership, ct), _admission),
                ClientGatewayActor.Name);
        }
    }

    /// <inheritdoc />
    protected override void PostStop() => _termination.Stopped();

    private void ScheduleRestart(IActorRef child, Exception cause, TimeSpan delay)
    {
        LogRestartScheduled(_log, child.Path.Name, delay.TotalMilliseconds, cause.GetType().Name);
        Timers.StartSingleTimer(child.Path.Name, new RestartChild(child, cause), delay);
    }

    private void OnRestartChild(RestartChild restart)
    {
        if (Context.Child(restart.Child.Path.Name).Equals(restart.Child))
        {
            ActorMetrics.Restarted(Context.System, restart.Child);
            _strategy.Restart(restart.Child, restart.Cause);
            if (_bridge is not null && (restart.Child.Equals(_membership?.Untyped) || restart.Child.Equals(_gossip?.Untyped)))
            {
                // A restarted membership has no subscribers, a restarted gossip no peers; the bridge has no timer to notice either.
                _bridge.Tell(MemberGossipBridge.ResyncMembers.Instance);
            }
        }
    }

    private void GiveUp(IActorRef child, Exception cause)
    {
        var root = cause is ActorInitializationException { InnerException: { } inner } ? inner : cause;
        LogGaveUp(_log, child.Path.Name, root.Message, root);
        _termination.Fail(new ActorFailedException(child.Path.Name, root));
        Context.Stop(Self);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "actor {Child} failed ({Cause}); restarting it in {DelayMs:0} ms")]
    private static partial void LogRestartScheduled(ILogger logger, string child, double delayMs, string cause);

    [LoggerMessage(Level = LogLevel.Critical, Message = "actor {Child} kept failing; stopping the node: {Cause}")]
    private static partial void LogGaveUp(ILogger logger, string child, string cause, Exception exception);
}
