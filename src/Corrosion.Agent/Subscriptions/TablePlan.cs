namespace Corrosion.Agent.Subscriptions;

/// <summary>What a change to one table read by a live query costs.</summary>
/// <param name="Table">The replicated table.</param>
/// <param name="Restriction">How its changed keys restrict the re-evaluation, or null when a change re-runs the query.</param>
/// <param name="Reason">Why, in words (for <c>subs info</c> and logs).</param>
internal sealed record TablePlan(string Table, TableRestriction? Restriction, string Reason)
{
    /// <summary>True when changes to this table are evaluated by key.</summary>
    public bool Incremental => Restriction is not null;
}
