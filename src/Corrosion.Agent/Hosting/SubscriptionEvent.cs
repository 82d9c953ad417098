namespace Corrosion.Agent.Hosting;

/// <summary>
/// One event of an in-process subscription, in the order the HTTP stream would carry them:
/// <see cref="SubscriptionRowEvent"/>s, one <see cref="SubscriptionEndOfQueryEvent"/>, then
/// <see cref="SubscriptionChangeEvent"/>s.
/// </summary>
public abstract record SubscriptionEvent;
