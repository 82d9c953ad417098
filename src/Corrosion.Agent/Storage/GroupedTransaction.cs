namespace Corrosion.Agent.Storage;

/// <summary>One transaction of a group commit and its outcome (<see cref="CrdtStore.ExecuteGroup"/>).</summary>
/// <param name="Result">The committed transaction, or null when it failed.</param>
/// <param name="Error">Why it failed (it was rolled back alone), or null when it committed.</param>
/// <param name="WholeGroupFailed">
/// True when the group as a whole was rolled back (its commit failed, or SQLite ended the whole
/// transaction, as it does when a write is interrupted by a timeout): this transaction may well
/// succeed alone.
/// </param>
public sealed record GroupedTransaction(TransactionResult? Result, StatementException? Error, bool WholeGroupFailed = false)
{
    /// <summary>True when the transaction committed.</summary>
    public bool Committed => Result is not null;
}
