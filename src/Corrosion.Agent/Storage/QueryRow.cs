namespace Corrosion.Agent.Storage;

/// <summary>One row of a query result.</summary>
/// <param name="RowId">A counter from 1, as Corrosion's API numbers rows.</param>
/// <param name="Cells">The row's values, one per column.</param>
public readonly record struct QueryRow(long RowId, SqlValue[] Cells);
