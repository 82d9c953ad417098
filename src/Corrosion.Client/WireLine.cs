using System.Text.Json;

namespace Corrosion.Client;

/// <summary>One parsed NDJSON line of a query, subscription or updates stream.</summary>
internal sealed class WireLine
{
    /// <summary>Not a line of the wire: a marker that a subscription stream restarted from its initial rows.</summary>
    public static WireLine RestartedLine { get; } = new() { Kind = WireLineKind.Restarted };

    public WireLineKind Kind { get; private init; }

    public IReadOnlyList<string> Columns { get; private init; } = [];

    public long RowId { get; private init; }

    public IReadOnlyList<JsonElement> Cells { get; private init; } = [];

    public double Time { get; private init; }

    public long? ChangeId { get; private init; }

    public string Text { get; private init; } = string.Empty;

    public string Verb { get; private init; } = string.Empty;

    /// <summary>Parses a line; unknown objects are <see cref="WireLineKind.Other"/> (ignored by readers).</summary>
    /// <exception cref="JsonException">the line is not JSON (for example cut off by a broken connection).</exception>
    public static WireLine Parse(string line)
    {
        using var document = JsonDocument.Parse(line);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return new WireLine { Kind = WireLineKind.Other };
        }

        if (root.TryGetProperty("error", out var error))
        {
            return new WireLine { Kind = WireLineKind.Error, Text = error.ValueKind == JsonValueKind.String ? error.GetString()! : error.GetRawText() };
        }

        if (root.TryGetProperty("columns", out var columns))
        {
            return new WireLine { Kind = WireLineKind.Columns, Columns = columns.EnumerateArray().Select(c => c.GetString() ?? string.Empty).ToList() };
        }

        if (root.TryGetProperty("row", out var row))
        {
            return new WireLine { Kind = WireLineKind.Row, RowId = row[0].GetInt64(), Cells = Clone(row[1]) };
        }

        if (root.TryGetProperty("eoq", out var eoq))
        {
            return new WireLine
            {
                Kind = WireLineKind.EndOfQuery,
                Time = eoq.TryGetProperty("time", out var t) && t.ValueKind == JsonValueKind.Number ? t.GetDouble() : 0,
                ChangeId = eoq.TryGetProperty("change_id", out var c) && c.ValueKind == JsonValueKind.Number ? c.GetInt64() : null,
            };
        }

        if (root.TryGetProperty("change", out var change))
        {
            return new WireLine
            {
                Kind = WireLineKind.Change,
                Verb = change[0].GetString() ?? string.Empty,
                RowId = change[1].GetInt64(),
                Cells = Clone(change[2]),
                ChangeId = change[3].GetInt64(),
            };
        }

        if (root.TryGetProperty("notify", out var notify))
        {
            return new WireLine { Kind = WireLineKind.Notify, Verb = notify[0].GetString() ?? string.Empty, Cells = Clone(notify[1]) };
        }

        return new WireLine { Kind = WireLineKind.Other };
    }

    private static List<JsonElement> Clone(JsonElement array) => array.EnumerateArray().Select(c => c.Clone()).ToList();
}
