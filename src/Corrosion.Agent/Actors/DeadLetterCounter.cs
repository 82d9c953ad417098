using Akka.Actor;
using Akka.Event;

namespace Corrosion.Agent.Actors;

/// <summary>
/// Counts the system's dead letters (<see cref="ActorMetrics.DeadLetters"/>): messages to stopped
/// actors, late ask replies, and messages a full waiting mailbox refused after its push timeout.
/// Mailbox drops are counted by the dropping mailboxes themselves.
/// </summary>
internal sealed class DeadLetterCounter : UntypedActor
{
    protected override void OnReceive(object message)
    {
        if (message is DeadLetter letter)
        {
            ActorMetrics.DeadLetter(Context.System, letter.Recipient, letter.Message);
        }
        else
        {
            Unhandled(message);
        }
    }

    public static Props Props() => Akka.Actor.Props.Create(() => new DeadLetterCounter());

    protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(DeadLetter));

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);
}
