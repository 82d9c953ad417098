using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace Corrosion.Agent.Actors;

/// <summary>
/// A bounded mailbox that, when full, drops the incoming message and keeps the queue (counted in
/// <see cref="ActorMetrics.MessagesDropped"/>). For listeners that must never slow their sender down
/// and can tell they missed something (storage events carry a sequence number). Configured in HOCON:
/// <c>mailbox-type = "Corrosion.Agent.Actors.DropNewestMailbox, Corrosion.Agent"</c>, <c>mailbox-capacity = N</c>.
/// </summary>
public sealed class DropNewestMailbox : MailboxType
{
    /// <summary>Created by Akka from the mailbox's configuration.</summary>
    /// <param name="settings">The system's settings.</param>
    /// <param name="config">The mailbox's section (<c>mailbox-capacity</c>).</param>
    public DropNewestMailbox(Settings settings, Config config)
        : base(settings, config) => Capacity = ReadCapacity(config, nameof(DropNewestMailbox));

    /// <summary>The most messages queued.</summary>
    public int Capacity { get; }

    /// <inheritdoc />
    public override IMessageQueue Create(IActorRef owner, ActorSystem system) =>
        new BoundedDroppingMessageQueue(Capacity, dropOldest: false, owner, system);

    internal static int ReadCapacity(Config config, string mailbox)
    {
        var capacity = config.IsNullOrEmpty() ? 0 : config.GetInt("mailbox-capacity", 0);
        return capacity >= 1
            ? capacity
            : throw new ConfigurationException($"{mailbox} needs mailbox-capacity of at least 1 (got {capacity})");
    }
}
