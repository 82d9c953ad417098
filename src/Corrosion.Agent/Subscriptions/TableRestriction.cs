namespace Corrosion.Agent.Subscriptions;

/// <summary>
/// How the result rows a changed row of one table can affect are found: the result columns that
/// carry (part of) that table's primary key, unchanged, on every row the table row contributes to.
/// Re-running the query filtered on those columns for the changed keys gives exactly the new rows in
/// their place.
/// </summary>
/// <param name="Table">The replicated table.</param>
/// <param name="Columns">Result column indexes, ascending.</param>
/// <param name="PkPositions">For each of <paramref name="Columns"/>, the position of its column in the table's primary key.</param>
internal sealed record TableRestriction(string Table, int[] Columns, int[] PkPositions);
