namespace Corrosion.Agent.Storage;

/// <summary>The outcome of a committed local transaction.</summary>
/// <param name="Results">Per statement, rows affected and time.</param>
/// <param name="Version">The new local version, or null when no replicated row changed.</param>
/// <param name="Changesets">The committed changes, chunked, in seq order (empty when <paramref name="Version"/> is null).</param>
/// <param name="Elapsed">Time the whole transaction took.</param>
public sealed record TransactionResult(
    IReadOnlyList<StatementResult> Results,
    long? Version,
    IReadOnlyList<ChangesetFull> Changesets,
    TimeSpan Elapsed);
