namespace Corrosion.Agent.Storage;

/// <summary>The outcome of one statement of a transaction.</summary>
/// <param name="RowsAffected">Rows the statement inserted, updated or deleted.</param>
/// <param name="Elapsed">Time the statement took.</param>
public sealed record StatementResult(long RowsAffected, TimeSpan Elapsed);
