namespace Corrosion.Agent.Subscriptions;

/// <summary>What a change to one table read by a live query costs.</summary>
/// <param name="Table">The replicated table.</param>
/// <param name="Restriction">How its changed keys restrict the re-evaluation, or null when a change re-runs the query.</param>
/// <param name="Reason">Why, in words (for <c>subs info</c> and logs).</param>
/// <param name="ResultOnlyColumns">
/// The table's columns the query uses only as plain result columns (never to choose rows), when the
/// query reads this table alone and its restriction is the whole primary key, in order: a change of
/// only these columns to a row that is not in the result cannot bring it in, so that key needs no
/// evaluation. Null when that cannot be told.
/// </param>
/// <param name="ResultOnlyPositions">
/// For each of <paramref name="ResultOnlyColumns"/>, the result columns that return its value as
/// stored (SQLite names it as their origin): a row in the result whose change touched only such
/// columns is the same row with those cells replaced by the new values. Empty when not known.
/// </param>
/// <param name="RowCells">
/// When the query returns every row of this table as it is (its only FROM item, no WHERE, HAVING,
/// GROUP BY, aggregate, DISTINCT, LIMIT or window; every result column a plain column of it), where
/// each result cell comes from: the position of a primary-key column, or the name of a value column.
/// A changed row whose every value column is known (an insert, or an update naming them all) is then
/// its result row without a read (<see cref="LiveQueryEvaluator.NoteInPlace"/>). Null otherwise.
/// </param>
internal sealed record TablePlan(string Table, TableRestriction? Restriction, string Reason, IReadOnlySet<string>? ResultOnlyColumns = null, IReadOnlyDictionary<string, int[]>? ResultOnlyPositions = null, IReadOnlyList<(int PkPosition, string? Column)>? RowCells = null)
{
    /// <summary>True when changes to this table are evaluated by key.</summary>
    public bool Incremental => Restriction is not null;
}
