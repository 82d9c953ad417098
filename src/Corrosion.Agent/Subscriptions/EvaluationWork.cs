using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Subscriptions;

/// <summary>
/// What one evaluation of a live query must read, decided on the owner's thread from its plan and
/// the changed keys, and run on any thread by <see cref="LiveQueryEvaluator.Run"/>.
/// </summary>
/// <param name="Statement">The subscribed statement.</param>
/// <param name="Plan">The plan the work was made from.</param>
/// <param name="Kind">Skipped (nothing to read), Keyed (the steps, or a LIMIT window check) or Full.</param>
/// <param name="Reason">Why a full run (or a skip), in words; null for keyed work.</param>
/// <param name="Steps">Per changed table: its restriction and changed keys (projected on the restriction's columns).</param>
/// <param name="WindowCheck">The steps only decide whether the LIMIT window can be affected (then a full run follows).</param>
internal sealed record EvaluationWork(
    Statement Statement,
    LiveQueryPlan Plan,
    EvaluationKind Kind,
    string? Reason,
    IReadOnlyList<(TableRestriction Restriction, Dictionary<byte[], SqlValue[]> Keys)> Steps,
    bool WindowCheck)
{
    /// <summary>Number of changed keys the work covers.</summary>
    public int KeyCount => Steps.Sum(s => s.Keys.Count);
}
