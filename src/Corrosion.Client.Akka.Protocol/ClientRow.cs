namespace Corrosion.Client.Akka.Protocol;

/// <summary>One result row.</summary>
/// <param name="RowId">The row's id: a counter from 1 for queries; stable across updates for subscriptions.</param>
/// <param name="Cells">One value per column.</param>
public sealed record ClientRow(long RowId, IReadOnlyList<ClientValue> Cells);
