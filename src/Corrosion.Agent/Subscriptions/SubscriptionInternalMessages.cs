using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Subscriptions;

/// <summary>A storage event, forwarded by <see cref="SubscriptionStorageForwarder"/>.</summary>
/// <param name="Event">The event.</param>
/// <param name="EarlierEventsLost">True when an earlier event could not be forwarded.</param>
internal sealed record StorageEventReceived(StorageEvent Event, bool EarlierEventsLost) : SubscriptionCommand;

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
