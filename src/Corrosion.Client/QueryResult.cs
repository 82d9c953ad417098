namespace Corrosion.Client;

/// <summary>A query's columns and its rows, read as they arrive.</summary>
/// <param name="Columns">The column names.</param>
/// <param name="Rows">The rows; enumerate once.</param>
public sealed record QueryResult(IReadOnlyList<string> Columns, IAsyncEnumerable<QueryRow> Rows);
