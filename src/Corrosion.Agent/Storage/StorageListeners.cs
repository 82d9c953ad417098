using Corrosion.Actors;

namespace Corrosion.Agent.Storage;

/// <summary>
/// The listeners of <see cref="StorageActor"/>'s events. Owned by the actor's parent and handed to
/// each incarnation of the actor, so a restarted writer keeps telling the gossip and subscription
/// actors what changed. Used only from the writer's thread.
/// </summary>
public sealed class StorageListeners
{
    private readonly List<Entry> _entries = [];

    /// <summary>The listeners, in the order they subscribed.</summary>
    internal IEnumerable<ActorRef<StorageEvent>> All => _entries.Select(e => e.Listener);

    /// <summary>The number of listeners.</summary>
    public int Count => _entries.Count;

    internal void Add(ActorRef<StorageEvent> listener)
    {
        if (!_entries.Exists(e => e.Listener.Equals(listener)))
        {
            _entries.Add(new Entry(listener));
        }
    }

    internal bool Remove(IActorRef listener) => _entries.RemoveAll(e => e.Listener.Equals(listener)) > 0;

    /// <summary>
    /// Tells every listener, never waiting. A listener whose mailbox was full when an event was
    /// dropped first gets <see cref="StorageEventsDropped"/>, so it knows to recover.
    /// </summary>
    internal void Publish(StorageEvent e)
    {
        foreach (var entry in _entries)
        {
            if (entry.Lost && !entry.Listener.TryTell(StorageEventsDropped.Instance))
            {
                continue;
            }

            entry.Lost = !entry.Listener.TryTell(e);
        }
    }

    private sealed class Entry(ActorRef<StorageEvent> listener)
    {
        public ActorRef<StorageEvent> Listener { get; } = listener;

        public bool Lost { get; set; }
    }
}
