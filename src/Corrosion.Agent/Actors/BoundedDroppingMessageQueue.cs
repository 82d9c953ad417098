using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;
using Akka.Event;

namespace Corrosion.Agent.Actors;

/// <summary>
/// The queue of <see cref="DropOldestMailbox"/> and <see cref="DropNewestMailbox"/>: at most
/// <c>capacity</c> messages; a sender never waits. A dropped message is counted
/// (<see cref="ActorMetrics.MessagesDropped"/>) and published as Akka's <see cref="Dropped"/>, so the
/// dead-letter log mentions it. Many senders, one reader (the actor), as every Akka mailbox.
/// </summary>
internal sealed class BoundedDroppingMessageQueue : IMessageQueue, IBoundedMessageQueueSemantics
{
    private readonly ConcurrentQueue<Envelope> _queue = new();
    private readonly int _capacity;
    private readonly bool _dropOldest;
    private readonly IActorRef _owner;
    private readonly ActorSystem _system;
    private int _count;

    public BoundedDroppingMessageQueue(int capacity, bool dropOldest, IActorRef owner, ActorSystem system)
    {
        _capacity = capacity;
        _dropOldest = dropOldest;
        _owner = owner;
        _system = system;
        ActorMetrics.TrackMailbox(system, owner, () => Count);
    }

    public bool HasMessages => Volatile.Read(ref _count) > 0;

    public int Count => Math.Max(Volatile.Read(ref _count), 0);

    /// <summary>Zero: a full queue drops instead of making the sender wait.</summary>
    public TimeSpan PushTimeOut => TimeSpan.Zero;

    public void Enqueue(IActorRef receiver, Envelope envelope)
    {
        if (Interlocked.Increment(ref _count) <= _capacity)
        {
            _queue.Enqueue(envelope);
            return;
        }

        if (!_dropOldest)
        {
            Interlocked.Decrement(ref _count);
            Drop(envelope, "drop-newest");
            return;
        }

        // Full: the newest goes in and the oldest still queued comes out (the reader may take it first).
        _queue.Enqueue(envelope);
        if (_queue.TryDequeue(out var oldest))
        {
            Interlocked.Decrement(ref _count);
            Drop(oldest, "drop-oldest");
        }
    }

    public bool TryDequeue(out Envelope envelope)
    {
        if (_queue.TryDequeue(out envelope))
        {
            Interlocked.Decrement(ref _count);
            return true;
        }

        return false;
    }

    public void CleanUp(IActorRef owner, IMessageQueue deadletters)
    {
        ActorMetrics.UntrackMailbox(owner);
        while (TryDequeue(out var envelope))
        {
            deadletters.Enqueue(owner, envelope);
        }
    }

    private void Drop(Envelope envelope, string reason)
    {
        ActorMetrics.Dropped(_system, _owner, reason);
        _system.EventStream.Publish(new Dropped(envelope.Message, $"mailbox full ({reason}, capacity {_capacity})", envelope.Sender, _owner));
    }
}
