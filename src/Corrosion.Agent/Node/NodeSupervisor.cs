using Corrosion.Actors;
using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Node;

/// <summary>
/// The root of a node's actors. Its children restart one-for-one with exponential backoff; a child
/// that keeps failing escalates, which stops the node (the process exits non-zero and the log says why).
/// </summary>
public sealed class NodeSupervisor : Actor<NodeCommand>
{
    private readonly CrdtStore _store;
    private ActorRef<StorageCommand>? _storage;

    /// <summary>Creates the supervisor over the node's store.</summary>
    public NodeSupervisor(CrdtStore store) => _store = store;

    /// <inheritdoc />
    protected override SupervisorStrategy SupervisorStrategy => NodeSupervisorStrategy.Create();

    /// <inheritdoc />
    protected override ValueTask PreStart()
    {
        _storage = Context.Spawn(() => new StorageActor(_store), "storage", new MailboxOptions(4096, MailboxFullMode.Wait));
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    protected override ValueTask OnReceive(NodeCommand message)
    {
        switch (message)
        {
            case GetNodeActors get:
                get.ReplyTo.Tell(new NodeActors(_storage!));
                break;
        }

        return ValueTask.CompletedTask;
    }
}
