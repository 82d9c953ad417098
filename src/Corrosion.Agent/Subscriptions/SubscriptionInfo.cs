namespace Corrosion.Agent.Subscriptions;

/// <summary>
/// How one live query is maintained and what its evaluations did (for operators: <c>corrosion subs
/// info ID</c>, logs, tests).
/// </summary>
/// <param name="Id">The subscription's id.</param>
/// <param name="Sql">The subscribed statement.</param>
/// <param name="Strategy">How a change is evaluated.</param>
/// <param name="Reason">Why, in words (per table when it differs between tables).</param>
/// <param name="Tables">Per table read.</param>
/// <param name="Listeners">Attached listeners (none: changes only collect until one attaches).</param>
/// <param name="Rows">Rows in the result.</param>
/// <param name="LastChangeId">The last change id handed out.</param>
/// <param name="PendingKeys">Changed keys waiting for the next evaluation (-1 when too many or unknown: the next one re-runs the query).</param>
/// <param name="Evaluating">An evaluation is running now.</param>
/// <param name="LastEvaluation">What the last evaluation did, or null before the first after start.</param>
/// <param name="LastEvaluationReason">Why the last evaluation re-ran the query or was skipped, or null.</param>
/// <param name="KeyedEvaluations">Evaluations by key since start.</param>
/// <param name="FullEvaluations">Full re-runs since start.</param>
/// <param name="SkippedEvaluations">Evaluations that read nothing or were skipped after a keyed check, since start.</param>
public sealed record SubscriptionInfo(
    string Id,
    string Sql,
    LiveQueryStrategy Strategy,
    string Reason,
    IReadOnlyList<SubscriptionTableInfo> Tables,
    int Listeners,
    int Rows,
    long LastChangeId,
    int PendingKeys,
    bool Evaluating,
    EvaluationKind? LastEvaluation,
    string? LastEvaluationReason,
    long KeyedEvaluations,
    long FullEvaluations,
    long SkippedEvaluations)
{
    /// <summary>Describes subscription <paramref name="id"/> as <paramref name="evaluator"/> maintains it.</summary>
    internal static SubscriptionInfo Of(string id, LiveQueryEvaluator evaluator, MaterializedResult result, int listeners, bool evaluating)
    {
        var plan = evaluator.Plan;
        var last = evaluator.Last;
        return new SubscriptionInfo(
            id,
            evaluator.Statement.Sql,
            plan.Strategy,
            plan.Reason,
            plan.Tables.Values.OrderBy(t => t.Table, StringComparer.Ordinal).Select(t => new SubscriptionTableInfo(t.Table, t.Incremental, t.Reason)).ToList(),
            listeners,
            result.Count,
            result.LastChangeId,
            evaluator.Pending.Everything is null ? evaluator.Pending.Count : -1,
            evaluating,
            last?.Kind,
            last?.Reason,
            evaluator.Counts[EvaluationKind.Keyed],
            evaluator.Counts[EvaluationKind.Full],
            evaluator.Counts[EvaluationKind.Skipped]);
    }
}
