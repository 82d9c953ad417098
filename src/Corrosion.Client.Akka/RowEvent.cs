using Corrosion.Client.Akka.Protocol;

namespace Corrosion.Client.Akka;

/// <summary>A current row of the subscription's result.</summary>
/// <param name="RowId">The row's id, stable across updates.</param>
/// <param name="Cells">The row's values.</param>
public sealed record RowEvent(long RowId, IReadOnlyList<ClientValue> Cells) : AkkaSubscriptionEvent;
