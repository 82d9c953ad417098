using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Hosting;

/// <summary>A row of the subscription's result when it was attached.</summary>
/// <param name="RowId">The row's id, the same one later changes of this row carry.</param>
/// <param name="Cells">The row's values, one per column.</param>
public sealed record SubscriptionRowEvent(long RowId, IReadOnlyList<SqlValue> Cells) : SubscriptionEvent;
