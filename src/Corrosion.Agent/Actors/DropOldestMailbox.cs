using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace Corrosion.Agent.Actors;

/// <summary>
/// A bounded mailbox that, when full, drops its oldest queued message to make room for the new one
/// (counted in <see cref="ActorMetrics.MessagesDropped"/>). Akka's own bounded mailbox makes senders
/// wait; this is for actors whose newest news matters most (member events). Configured in HOCON:
/// <c>mailbox-type = "Corrosion.Agent.Actors.DropOldestMailbox, Corrosion.Agent"</c>, <c>mailbox-capacity = N</c>.
/// </summary>
public sealed class DropOldestMailbox : MailboxType
{
    /// <summary>Created by Akka from the mailbox's configuration.</summary>
    /// <param name="settings">The system's settings.</param>
    /// <param name="config">The mailbox's section (<c>mailbox-capacity</c>).</param>
    public DropOldestMailbox(Settings settings, Config config)
        : base(settings, config) => Capacity = DropNewestMailbox.ReadCapacity(config, nameof(DropOldestMailbox));

    /// <summary>The most messages queued.</summary>
    public int Capacity { get; }

    /// <inheritdoc />
    public override IMessageQueue Create(IActorRef owner, ActorSystem system) =>
        new BoundedDroppingMessageQueue(Capacity, dropOldest: true, owner, system);
}
