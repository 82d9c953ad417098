using System.Text.Json;

namespace Corrosion.Client;

/// <summary>A row of a watched table changed (<c>POST /v1/updates/{table}</c>).</summary>
/// <param name="Kind">Update (insert or change) or delete.</param>
/// <param name="PrimaryKey">The row's primary-key values as JSON, in key order.</param>
public sealed record UpdateNotification(UpdateKind Kind, IReadOnlyList<JsonElement> PrimaryKey);
