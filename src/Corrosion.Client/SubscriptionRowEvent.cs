using System.Text.Json;

namespace Corrosion.Client;

/// <summary>A row of the initial result.</summary>
/// <param name="RowId">The row's id, stable across later updates of the same row.</param>
/// <param name="Cells">The cells as JSON (blobs are arrays of byte values), in column order.</param>
public sealed record SubscriptionRowEvent(long RowId, IReadOnlyList<JsonElement> Cells) : SubscriptionEvent;
