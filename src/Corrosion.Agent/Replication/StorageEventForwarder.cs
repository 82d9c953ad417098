using Akka.Actor;
using Corrosion.Agent.Actors;
using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Replication;

/// <summary>
/// The gossip actor's listener for storage events: a child that wraps each event into the parent's
/// protocol. Its drop-newest mailbox (<see cref="NodeMailboxes.GossipEvents"/>) keeps the writer from
/// ever waiting on gossip; a broadcast lost that way is repaired by sync.
/// </summary>
internal sealed class StorageEventForwarder(ActorRef<GossipCommand> parent) : UntypedActor
{
    protected override void OnReceive(object message)
    {
        if (message is StorageEvent e)
        {
            parent.Tell(new StorageEventReceived(e), Self);
        }
        else
        {
            Unhandled(message);
        }
    }

    public static Props Props(ActorRef<GossipCommand> parent) =>
        Akka.Actor.Props.Create(() => new StorageEventForwarder(parent)).WithMailbox(NodeMailboxes.GossipEvents);
}
