namespace Corrosion.Agent.Storage;

/// <summary>One transaction of a group commit and its outcome (<see cref="CrdtStore.ExecuteGroup"/>).</summary>
/// <param name="Result">The committed transaction, or null when it failed.</param>
/// <param name="Error">Why it failed (it was rolled back alone), or null when it committed.</param>
public sealed record GroupedTransaction(TransactionResult? Result, StatementException? Error)
{
    /// <summary>True when the transaction committed.</summary>
    public bool Committed => Result is not null;
}
