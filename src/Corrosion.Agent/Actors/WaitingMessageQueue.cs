using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Actor.Scheduler;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;
using Akka.Event;

namespace Corrosion.Agent.Actors;

/// <summary>The queue of <see cref="WaitingMailbox"/>: bounded, senders wait, timer ticks, control messages and <see cref="IPassesMailboxBound"/> pass, <see cref="IDroppedWhenFull"/> is dropped when full.</summary>
public sealed class WaitingMessageQueue : DequeWrapperMessageQueue, IBoundedDequeBasedMessageQueueSemantics, IMessageQueue
{
    /// <summary>
    /// What Akka's timers deliver (<c>TimerScheduler.ITimerMsg</c>, public but nested in an internal
    /// class, so named here): the scheduler wraps it in an <see cref="IScheduledTellMsg"/>, the test
    /// scheduler does not. Resolved when the type loads, so an Akka upgrade that renames it fails at once.
    /// </summary>
    internal static readonly Type TimerMessage =
        typeof(ActorBase).Assembly.GetType("Akka.Actor.Scheduler.TimerScheduler+ITimerMsg", throwOnError: true)!;

    /// <summary>Creates the queue.</summary>
    /// <param name="capacity">The most ordinary messages queued.</param>
    /// <param name="pushTimeout">How long a sender waits for room.</param>
    public WaitingMessageQueue(int capacity, TimeSpan pushTimeout)
        : base(new Bounded(capacity, pushTimeout)) => PushTimeOut = pushTimeout;

    /// <inheritdoc />
    public TimeSpan PushTimeOut { get; }

    /// <summary>
    /// The actor stopped: its mailbox's depth is no longer reported. Re-implemented because
    /// <see cref="DequeWrapperMessageQueue"/> drains the queue itself without asking the inner one.
    /// </summary>
    void IMessageQueue.CleanUp(IActorRef owner, IMessageQueue deadletters)
    {
        ActorMetrics.UntrackMailbox(owner);
        CleanUp(owner, deadletters);
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The semaphore's wait handle is never created, so it holds nothing to release; Akka does not dispose message queues.")]
    private sealed class Bounded(int capacity, TimeSpan pushTimeout) : IMessageQueue
    {
        private readonly ConcurrentQueue<Envelope> _queue = new();
        private readonly SemaphoreSlim _room = new(capacity, capacity);

        public bool HasMessages => !_queue.IsEmpty;

        public int Count => _queue.Count;

        public void Enqueue(IActorRef receiver, Envelope envelope)
        {
            if (Passes(envelope.Message) || _room.Wait(envelope.Message is IDroppedWhenFull ? TimeSpan.Zero : pushTimeout))
            {
                _queue.Enqueue(envelope);
                return;
            }

            // As Akka's BoundedMailbox does: no room in time, so a dead letter (counted by DeadLetterCounter).
            if (receiver is IInternalActorRef actor)
            {
                actor.Provider.DeadLetters.Tell(new DeadLetter(envelope.Message, envelope.Sender, receiver), envelope.Sender);
            }
        }

        public bool TryDequeue(out Envelope envelope)
        {
            if (!_queue.TryDequeue(out envelope))
            {
                return false;
            }

            if (!Passes(envelope.Message))
            {
                _room.Release();
            }

            return true;
        }

        public void CleanUp(IActorRef owner, IMessageQueue deadletters)
        {
            while (TryDequeue(out var envelope))
            {
                deadletters.Enqueue(owner, envelope);
            }
        }

        // Scheduled tells (timer ticks among them) come from the scheduler's single thread; PoisonPill,
        // Kill and Identify stop or probe the actor; an actor's note to itself must not wait on itself.
        private static bool Passes(object message) =>
            message is IScheduledTellMsg or IAutoReceivedMessage or IPassesMailboxBound || TimerMessage.IsInstanceOfType(message);
    }
}
