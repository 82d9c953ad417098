namespace Corrosion.Client.Akka.Protocol;

/// <summary>One row-level change of a subscription's result.</summary>
/// <param name="Kind">Insert, update or delete.</param>
/// <param name="RowId">The row's id, stable across updates.</param>
/// <param name="Cells">The row after the change (before it, for a delete).</param>
/// <param name="ChangeId">Increasing by one per change within the subscription.</param>
public sealed record ClientChange(ClientChangeKind Kind, long RowId, IReadOnlyList<ClientValue> Cells, long ChangeId);
