using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Subscriptions;

/// <summary>One row-level change of a subscription's result (<c>{"change":[kind, rowid, [cells], change_id]}</c>).</summary>
/// <param name="Kind">Insert, update or delete.</param>
/// <param name="RowId">The row's id, stable across updates of the same row.</param>
/// <param name="Cells">The row's cells after the change (before it, for a delete).</param>
/// <param name="ChangeId">The change's id, increasing by one per change within the subscription.</param>
public sealed record SubscriptionChange(ChangeKind Kind, long RowId, IReadOnlyList<SqlValue> Cells, long ChangeId);
