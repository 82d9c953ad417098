namespace Corrosion.Agent.Subscriptions;

/// <summary>The end of a subscription's initial rows (<c>{"eoq":{"time","change_id"}}</c>).</summary>
/// <param name="Time">How long the query took to evaluate, in seconds.</param>
/// <param name="ChangeId">The last change id reflected in the rows; changes after it follow.</param>
public sealed record SubscriptionEndOfQuery(double Time, long ChangeId);
