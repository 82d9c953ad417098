using System.Diagnostics.Metrics;
using Akka.Actor;

namespace Corrosion.Agent.Actors;

/// <summary>
/// What the node counts about its actors, on the <c>Corrosion.Actors</c> meter. Every measurement is
/// tagged with <c>actor.system</c> and <c>actor.path</c> (the actor the message was for).
/// </summary>
public static class ActorMetrics
{
    /// <summary>Name of the <see cref="Meter"/>.</summary>
    public const string MeterName = "Corrosion.Actors";

    /// <summary>Messages a full drop-oldest or drop-newest mailbox threw away (tag <c>reason</c>: drop-oldest, drop-newest).</summary>
    public const string MessagesDropped = "corrosion.actors.messages.dropped";

    /// <summary>
    /// Dead letters: messages to a stopped actor, and messages a full waiting mailbox refused after
    /// its push timeout (tag <c>message.type</c>).
    /// </summary>
    public const string DeadLetters = "corrosion.actors.dead_letters";

    /// <summary>Restarts of the node's actors by their supervisor.</summary>
    public const string Restarts = "corrosion.actors.restarts";

    /// <summary>Messages waiting in each of the node's bounded mailboxes (tags <c>actor.system</c>, <c>actor.path</c>), read at each scrape.</summary>
    public const string MailboxDepth = "corrosion.actors.mailbox.depth";

    private static readonly Meter Meter = new(MeterName);

    // The node's bounded mailboxes, by owner, from their creation until their actor stops (CleanUp).
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<IActorRef, (string System, string Path, Func<int> Depth)> Mailboxes = new();
    private static readonly Counter<long> DroppedCounter =
        Meter.CreateCounter<long>(MessagesDropped, "{message}", "Messages dropped by full drop-oldest / drop-newest mailboxes");
    private static readonly Counter<long> DeadLetterCounter =
        Meter.CreateCounter<long>(DeadLetters, "{message}", "Messages to stopped actors and messages refused by a full mailbox after its push timeout");
    private static readonly Counter<long> RestartCounter =
        Meter.CreateCounter<long>(Restarts, "{restart}", "Actor restarts by the node's supervisor");

    static ActorMetrics()
    {
        Meter.CreateObservableGauge(MailboxDepth, ObserveMailboxes, "{message}", "Messages waiting in an actor's bounded mailbox");
    }

    private static IEnumerable<Measurement<long>> ObserveMailboxes()
    {
        foreach (var (_, (system, path, depth)) in Mailboxes)
        {
            yield return new Measurement<long>(depth(), new KeyValuePair<string, object?>("actor.system", system), new KeyValuePair<string, object?>("actor.path", path));
        }
    }

    /// <summary>Reports the depth of <paramref name="owner"/>'s mailbox until <see cref="UntrackMailbox"/>.</summary>
    internal static void TrackMailbox(ActorSystem? system, IActorRef? owner, Func<int> depth)
    {
        if (system is not null && owner is not null && !owner.IsNobody())
        {
            Mailboxes[owner] = (system.Name, owner.Path.ToStringWithoutAddress(), depth);
        }
    }

    /// <summary>Stops reporting <paramref name="owner"/>'s mailbox (its actor stopped).</summary>
    internal static void UntrackMailbox(IActorRef? owner)
    {
        if (owner is not null)
        {
            Mailboxes.TryRemove(owner, out _);
        }
    }

    internal static void Dropped(ActorSystem system, IActorRef actor, string reason) =>
        DroppedCounter.Add(1, Tag.System(system), Tag.Path(actor), new("reason", reason));

    internal static void DeadLetter(ActorSystem system, IActorRef recipient, object message) =>
        DeadLetterCounter.Add(1, Tag.System(system), Tag.Path(recipient), new("message.type", message.GetType().Name));

    internal static void Restarted(ActorSystem system, IActorRef actor) =>
        RestartCounter.Add(1, Tag.System(system), Tag.Path(actor));

    private static class Tag
    {
        public static KeyValuePair<string, object?> System(ActorSystem system) => new("actor.system", system.Name);

        public static KeyValuePair<string, object?> Path(IActorRef actor) => new("actor.path", actor.Path.ToStringWithoutAddress());
    }
}
