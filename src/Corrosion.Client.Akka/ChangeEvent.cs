using Corrosion.Client.Akka.Protocol;

namespace Corrosion.Client.Akka;

/// <summary>A change of the subscription's result.</summary>
/// <param name="Kind">Insert, update or delete.</param>
/// <param name="RowId">The row's id.</param>
/// <param name="Cells">The row after the change (before it, for a delete).</param>
/// <param name="ChangeId">Increasing by one per change.</param>
public sealed record ChangeEvent(ClientChangeKind Kind, long RowId, IReadOnlyList<ClientValue> Cells, long ChangeId) : AkkaSubscriptionEvent;
