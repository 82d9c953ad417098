using Akka.Actor;
using Corrosion.Agent.Actors;
using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Subscriptions;

/// <summary>
/// The subscription actor's listener for storage events: a child that wraps each event into the
/// parent's protocol. Its drop-newest mailbox (<see cref="NodeMailboxes.SubscriptionEvents"/>) keeps
/// the writer from ever waiting on subscriptions; an event lost there, or refused by the parent's full
/// mailbox, shows as a gap in the events' sequence numbers, and the parent then re-evaluates every
/// subscription, so no change is missed.
/// </summary>
internal sealed class SubscriptionStorageForwarder(ActorRef<SubscriptionCommand> parent) : UntypedActor
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

    public static Props Props(ActorRef<SubscriptionCommand> parent) =>
        Akka.Actor.Props.Create(() => new SubscriptionStorageForwarder(parent)).WithMailbox(NodeMailboxes.SubscriptionEvents);
}
