using Corrosion.Actors;
using Corrosion.Agent.Membership;
using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Node;

/// <summary>
/// The root of a node's actors. Its children restart one-for-one with exponential backoff; a child
/// that keeps failing escalates, which stops the node (the process exits non-zero and the log says why).
/// </summary>
public sealed class NodeSupervisor : Actor<NodeCommand>
{
    private readonly CrdtStore _store;
    private readonly NodeOptions? _options;
    private ActorRef<StorageCommand>? _storage;
    private ActorRef<MembershipCommand>? _membership;

    /// <summary>Creates the supervisor over the node's store.</summary>
    /// <param name="store">The node's database.</param>
    /// <param name="options">The node's options; null runs storage alone (no membership).</param>
    public NodeSupervisor(CrdtStore store, NodeOptions? options = null)
    {
        _store = store;
        _options = options;
    }

    /// <inheritdoc />
    protected override SupervisorStrategy SupervisorStrategy => NodeSupervisorStrategy.Create();

    /// <inheritdoc />
    protected override ValueTask PreStart()
    {
        _storage = Context.Spawn(() => new StorageActor(_store), "storage", new MailboxOptions(4096, MailboxFullMode.Wait));
        if (_options is { } options)
        {
            var storage = _storage;
            _membership = Context.Spawn(
                () => new MembershipActor(_store.SiteId, options.Gossip.BindEndPoint, options.ClusterId, options.Membership, storage),
                "membership",
                MembershipActor.Mailbox);
        }
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    protected override ValueTask OnReceive(NodeCommand message)
    {
        switch (message)
        {
            case GetNodeActors get:
                get.ReplyTo.Tell(new NodeActors(_storage!, _membership));
                break;
        }

        return ValueTask.CompletedTask;
    }
}
