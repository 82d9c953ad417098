namespace Corrosion.Agent.Subscriptions;

/// <summary>What a change to one table read by a live query costs.</summary>
/// <param name="Table">The replicated table.</param>
/// <param name="Incremental">True when its changes are evaluated by key; false when they re-run the query.</param>
/// <param name="Reason">Why, in words.</param>
public sealed record SubscriptionTableInfo(string Table, bool Incremental, string Reason);
