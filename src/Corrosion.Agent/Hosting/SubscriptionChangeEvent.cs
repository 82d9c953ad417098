using Corrosion.Agent.Storage;
using Corrosion.Agent.Subscriptions;

namespace Corrosion.Agent.Hosting;

/// <summary>A row-level change of the subscription's result.</summary>
/// <param name="Kind">Insert, update or delete.</param>
/// <param name="RowId">The row's id, stable across updates of the same row.</param>
/// <param name="Cells">The row's cells after the change (before it, for a delete).</param>
/// <param name="ChangeId">The change's id, increasing by one per change.</param>
public sealed record SubscriptionChangeEvent(ChangeKind Kind, long RowId, IReadOnlyList<SqlValue> Cells, long ChangeId) : SubscriptionEvent;
