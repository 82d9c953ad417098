namespace Corrosion.Agent.Storage;

/// <summary>
/// Reads for live-query evaluation, all from one snapshot of the database (one read transaction on
/// one pooled connection), so the statements of one evaluation see the same state.
/// </summary>
internal interface ILiveQueryReader
{
    /// <summary>Runs a subscribed statement in full, checked as <see cref="CrdtStore.EvaluateLiveQuery(Statement)"/> does.</summary>
    LiveQueryResult Evaluate(Statement statement);

    /// <summary>Runs a read-only statement derived from a subscribed one (its parameters may go unused) and returns its rows.</summary>
    IReadOnlyList<SqlValue[]> Rows(Statement statement);
}
