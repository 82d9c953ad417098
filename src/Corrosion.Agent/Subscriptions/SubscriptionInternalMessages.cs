using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Subscriptions;

/// <summary>A storage event, forwarded by <see cref="SubscriptionStorageForwarder"/> (the sender).</summary>
/// <param name="Event">The event, with its sequence number for that listener.</param>
internal sealed record StorageEventReceived(StorageEvent Event) : SubscriptionCommand;

/// <summary>The batch window closed: re-evaluate the dirty subscriptions.</summary>
internal sealed record FlushDirty : SubscriptionCommand
{
    public static FlushDirty Instance { get; } = new();
}

/// <summary>Periodic: drop idle subscriptions, prune old changes.</summary>
internal sealed record MaintenanceTick : SubscriptionCommand
{
    public static MaintenanceTick Instance { get; } = new();
}

/// <summary>Storage did not take the listener in time: fail, so the supervisor restarts the actor.</summary>
internal sealed record StartTimedOut : SubscriptionCommand
{
    public static StartTimedOut Instance { get; } = new();
}
