namespace Corrosion.Agent.Hosting;

/// <summary>The end of the initial rows; every change after <paramref name="ChangeId"/> follows.</summary>
/// <param name="Time">How long the query took to evaluate, in seconds.</param>
/// <param name="ChangeId">The last change id reflected in the rows.</param>
public sealed record SubscriptionEndOfQueryEvent(double Time, long ChangeId) : SubscriptionEvent;
