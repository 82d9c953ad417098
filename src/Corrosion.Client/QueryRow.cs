using System.Text.Json;

namespace Corrosion.Client;

/// <summary>One row of a query result.</summary>
/// <param name="RowId">The row's position in the result (from 1).</param>
/// <param name="Cells">The cells as JSON (blobs are arrays of byte values).</param>
public sealed record QueryRow(long RowId, IReadOnlyList<JsonElement> Cells);
