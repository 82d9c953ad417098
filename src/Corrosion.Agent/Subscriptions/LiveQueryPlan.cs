using System.Collections.Concurrent;

namespace Corrosion.Agent.Subscriptions;

/// <summary>
/// How one live query is maintained: its strategy with the reason, what a change to each table it
/// reads costs, and the statement texts restricted evaluation is built from.
/// </summary>
/// <param name="Strategy">The strategy.</param>
/// <param name="Reason">Why, in words: the whole-query reason, or each table's.</param>
/// <param name="Tables">Per table read (case-insensitive names).</param>
/// <param name="ColumnCount">The number of result columns the restricted statements return.</param>
/// <param name="Text">The statement text without trailing semicolons and comments.</param>
/// <param name="TextWithoutLimit">The text without its top-level LIMIT clause (for <see cref="LiveQueryStrategy.Window"/>).</param>
/// <param name="Ordered">The query has a top-level ORDER BY: rows added by key go out of order until the next full run.</param>
internal sealed record LiveQueryPlan(
    LiveQueryStrategy Strategy,
    string Reason,
    IReadOnlyDictionary<string, TablePlan> Tables,
    int ColumnCount,
    string Text,
    string TextWithoutLimit,
    bool Ordered)
{
    private readonly ConcurrentDictionary<(TableRestriction Restriction, int Slots, bool WithoutLimit), string> _templates = new();

    /// <summary>
    /// The keyed statement for <paramref name="restriction"/> with <paramref name="slots"/> key
    /// parameters (<see cref="RestrictedStatement.Template"/>), over the text without its LIMIT when
    /// <paramref name="withoutLimit"/>; built once per plan.
    /// </summary>
    public string KeyedTemplate(TableRestriction restriction, int slots, bool withoutLimit) =>
        _templates.GetOrAdd((restriction, slots, withoutLimit), static (key, plan) =>
            RestrictedStatement.Template(key.WithoutLimit ? plan.TextWithoutLimit : plan.Text, plan.ColumnCount, key.Restriction.Columns, key.Slots), this);

    /// <summary>The plan of a query nothing is known about yet (before its first evaluation).</summary>
    public static LiveQueryPlan Unplanned(string reason) =>
        new(LiveQueryStrategy.FullRerun, reason, new Dictionary<string, TablePlan>(StringComparer.OrdinalIgnoreCase), 0, string.Empty, string.Empty, Ordered: false);
}
