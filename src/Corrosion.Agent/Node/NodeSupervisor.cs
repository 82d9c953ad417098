using Corrosion.Actors;
using Corrosion.Agent.Membership;
using Corrosion.Agent.Replication;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Subscriptions;
using Corrosion.Agent.Transport;

namespace Corrosion.Agent.Node;

/// <summary>
/// The root of a node's actors. Its children restart one-for-one with exponential backoff; a child
/// that keeps failing escalates, which stops the node (the process exits non-zero and the log says why).
/// </summary>
public sealed class NodeSupervisor : Actor<NodeCommand>
{
    private readonly CrdtStore _store;
    // Outlives restarts of the writer, so gossip and subscriptions keep hearing about changes.
    private readonly StorageListeners _storageListeners = new();
    private readonly NodeOptions? _options;
    private ActorRef<StorageCommand>? _storage;
    private readonly IGossipTransport? _transport;
    private ActorRef<MembershipCommand>? _membership;
    private ActorRef<GossipCommand>? _gossip;
    private ActorRef<SubscriptionCommand>? _subscriptions;

    /// <summary>Creates the supervisor over the node's store.</summary>
    /// <param name="store">The node's database.</param>
    /// <param name="options">The node's options; null runs storage alone (no membership).</param>
    /// <param name="transport">The started gossip transport (the node owns it); null runs without replication.</param>
    public NodeSupervisor(CrdtStore store, NodeOptions? options = null, IGossipTransport? transport = null)
    {
        _store = store;
        _options = options;
        _transport = transport;
    }

    /// <inheritdoc />
    protected override SupervisorStrategy SupervisorStrategy => NodeSupervisorStrategy.Create();

    /// <inheritdoc />
    protected override ValueTask PreStart()
    {
        _storage = Context.Spawn(() => new StorageActor(_store, _storageListeners), "storage", new MailboxOptions(4096, MailboxFullMode.Wait));
        if (_options is { } options)
        {
            var storage = _storage;
            var subscriptionsPath = options.Subscriptions.ResolvePath(options.Db.Path);
            _subscriptions = Context.Spawn(
                () => new SubscriptionActor(_store, storage, options.Subscriptions, subscriptionsPath),
                "subscriptions",
                SubscriptionActor.Mailbox);
            // SWIM's UDP socket takes the transport's port, so a member's address is also its gossip address.
            var bind = _transport?.LocalEndPoint is System.Net.IPEndPoint bound ? bound : options.Gossip.BindEndPoint;
            _membership = Context.Spawn(
                () => new MembershipActor(_store.SiteId, bind, options.ClusterId, options.Membership, storage),
                "membership",
                MembershipActor.Mailbox);
            if (_transport is { } transport)
            {
                var seed = Random.Shared.Next();
                _gossip = Context.Spawn(
                    () => new GossipActor(storage, transport, _store.SiteId, options.ClusterId, options.Broadcast, options.Sync, new Random(seed), options.Replication),
                    "gossip",
                    new MailboxOptions(4096, MailboxFullMode.Wait));
                var membership = _membership;
                var gossip = _gossip;
                Context.Spawn(() => new MemberGossipBridge(membership, gossip), "member-gossip-bridge", new MailboxOptions(1024, MailboxFullMode.DropOldest));
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    protected override ValueTask OnReceive(NodeCommand message)
    {
        switch (message)
        {
            case GetNodeActors get:
                get.ReplyTo.Tell(new NodeActors(_storage!, _membership, _gossip, _subscriptions));
                break;
        }

        return ValueTask.CompletedTask;
    }
}
