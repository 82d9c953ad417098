using Akka.Actor;
using Corrosion.Agent.Actors;

namespace Corrosion.Agent.Storage;

/// <summary>
/// The listeners of <see cref="StorageActor"/>'s events. Owned by the actor's parent and handed to
/// each incarnation of the actor, so a restarted writer keeps telling the gossip and subscription
/// actors what changed, and keeps numbering each listener's events where the last one stopped. Used
/// only from the writer's thread.
/// </summary>
public sealed class StorageListeners
{
    private readonly List<Entry> _entries = [];

    /// <summary>The listeners, in the order they subscribed.</summary>
    internal IEnumerable<ActorRef<StorageEvent>> All => _entries.Select(e => e.Listener);

    /// <summary>The number of listeners.</summary>
    public int Count => _entries.Count;

    /// <summary>True when a listener takes one event per transaction (not <see cref="SubscribeStorageEvents.Grouped"/>).</summary>
    internal bool AnyPerTransaction => _entries.Exists(static e => !e.Grouped);

    /// <summary>True when a listener takes one event per group commit (<see cref="SubscribeStorageEvents.Grouped"/>).</summary>
    internal bool AnyGrouped => _entries.Exists(static e => e.Grouped);

    internal void Add(ActorRef<StorageEvent> listener, bool grouped = false)
    {
        if (!_entries.Exists(e => e.Listener.Equals(listener)))
        {
            _entries.Add(new Entry(listener, grouped));
        }
    }

    internal bool Remove(IActorRef listener) => _entries.RemoveAll(e => e.Listener.Untyped.Equals(listener)) > 0;

    /// <summary>
    /// Tells every listener, each event numbered for that listener (<see cref="StorageEvent.Sequence"/>),
    /// so one that loses an event on the way sees a gap. Listeners' mailboxes never make the writer wait.
    /// </summary>
    internal void Publish(StorageEvent e)
    {
        foreach (var entry in _entries)
        {
            entry.Listener.Tell(e with { Sequence = ++entry.Published });
        }
    }

    /// <summary>
    /// Tells a group commit's transactions: each of <paramref name="perTransaction"/> to the listeners that
    /// take one event per transaction, <paramref name="grouped"/> (all of them in one) to the others.
    /// </summary>
    internal void PublishCommitted(IReadOnlyList<ChangesCommitted> perTransaction, ChangesCommitted grouped)
    {
        foreach (var entry in _entries)
        {
            if (entry.Grouped)
            {
                entry.Listener.Tell(grouped with { Sequence = ++entry.Published });
                continue;
            }

            foreach (var e in perTransaction)
            {
                entry.Listener.Tell(e with { Sequence = ++entry.Published });
            }
        }
    }

    private sealed class Entry(ActorRef<StorageEvent> listener, bool grouped)
    {
        public ActorRef<StorageEvent> Listener { get; } = listener;

        public bool Grouped { get; } = grouped;

        public long Published { get; set; }
    }
}
