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

    /// <summary>
    /// Runs a keyed statement derived from a subscribed one, with the keys as parameters from
    /// <paramref name="firstKeyParameter"/> on (<paramref name="slots"/> keys' worth, the last key
    /// repeated into unused slots); the statement is prepared once per connection and reused.
    /// </summary>
    IReadOnlyList<SqlValue[]> KeyedRows(Statement statement, string sql, string firstKeyParameter, IReadOnlyList<SqlValue[]> keys, int slots);
}
