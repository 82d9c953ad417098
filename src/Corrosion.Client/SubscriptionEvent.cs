namespace Corrosion.Client;

/// <summary>
/// One event of a subscription, in stream order: <see cref="SubscriptionRowEvent"/>s (the initial
/// result), one <see cref="SubscriptionEndOfQueryEvent"/>, then <see cref="SubscriptionChangeEvent"/>s.
/// A resumed subscription (<see cref="CorrosionClient.ResumeAsync"/>) yields only changes.
/// </summary>
public abstract record SubscriptionEvent;
