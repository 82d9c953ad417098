using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace Corrosion.Agent.Actors;

/// <summary>
/// A bounded mailbox whose senders wait for room (back-pressure), up to
/// <c>mailbox-push-timeout-time</c>; a message still without room then is a dead letter (counted in
/// <see cref="ActorMetrics.DeadLetters"/>). Unlike Akka's <c>BoundedMailbox</c>, timer ticks and
/// Akka's own control messages never wait: Akka's scheduler delivers every actor's timers from one
/// thread, and one full mailbox must not stall the timers of the whole node. The queue is deque-based,
/// so its actor may stash. Configured in HOCON:
/// <c>mailbox-type = "Corrosion.Agent.Actors.WaitingMailbox, Corrosion.Agent"</c>,
/// <c>mailbox-capacity = N</c>, <c>mailbox-push-timeout-time = 10s</c>.
/// </summary>
public sealed class WaitingMailbox : MailboxType, IProducesMessageQueue<WaitingMessageQueue>
{
    /// <summary>Created by Akka from the mailbox's configuration.</summary>
    /// <param name="settings">The system's settings.</param>
    /// <param name="config">The mailbox's section.</param>
    public WaitingMailbox(Settings settings, Config config)
        : base(settings, config)
    {
        Capacity = DropNewestMailbox.ReadCapacity(config, nameof(WaitingMailbox));
        PushTimeout = config.GetTimeSpan("mailbox-push-timeout-time", TimeSpan.Zero);
        if (PushTimeout <= TimeSpan.Zero)
        {
            throw new ConfigurationException($"{nameof(WaitingMailbox)} needs a positive mailbox-push-timeout-time (got {PushTimeout})");
        }
    }

    /// <summary>The most messages queued (timer ticks may go beyond it).</summary>
    public int Capacity { get; }

    /// <summary>How long a sender waits for room before its message becomes a dead letter.</summary>
    public TimeSpan PushTimeout { get; }

    /// <inheritdoc />
    public override IMessageQueue Create(IActorRef owner, ActorSystem system)
    {
        var queue = new WaitingMessageQueue(Capacity, PushTimeout);
        ActorMetrics.TrackMailbox(system, owner, () => queue.Count);
        return queue;
    }
}
