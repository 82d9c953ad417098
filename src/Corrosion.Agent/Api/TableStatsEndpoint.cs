using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Corrosion.Agent.Api;

/// <summary>
/// <c>POST /v1/table_stats</c>: <c>{"tables": [...]}</c> → <c>{"total_row_count", "invalid_tables"}</c>.
/// An empty or missing list counts every replicated table.
/// </summary>
internal static class TableStatsEndpoint
{
    public static async Task HandleAsync(HttpContext http, ApiContext api)
    {
        List<string>? requested = null;
        if (http.Request.ContentLength is not 0)
        {
            using var document = await RequestBody.ReadJsonAsync(http, api.Options.Api.MaxBodySize.Bytes);
            requested = ParseTables(document.RootElement);
        }

        var known = new HashSet<string>(api.Store.Tables, StringComparer.Ordinal);
        var valid = new List<string>();
        var invalid = new List<string>();
        var caller = ApiAccess.Caller(http);
        foreach (var table in requested is { Count: > 0 } ? requested : [.. api.Store.Tables.Where(caller.MayUse)])
        {
            ApiAccess.CheckTable(http, table);
            (known.Contains(table) ? valid : invalid).Add(table);
        }

        var counts = valid.Count > 0 ? api.Store.TableStats(valid) : new Dictionary<string, long>();
        http.Response.ContentType = ApiResponses.Json;
        await ApiResponses.WriteAsync(http, w =>
        {
            w.WriteStartObject();
            w.WriteNumber("total_row_count", counts.Values.Sum());
            w.WriteStartObject("tables");
            foreach (var (table, count) in counts)
            {
                w.WriteNumber(table, count);
            }

            w.WriteEndObject();
            w.WriteStartArray("invalid_tables");
            foreach (var table in invalid)
            {
                w.WriteStringValue(table);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private static List<string>? ParseTables(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new ApiInputException("expected {\"tables\": [\"name\", ...]}");
        }

        if (!root.TryGetProperty("tables", out var tables) || tables.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (tables.ValueKind != JsonValueKind.Array)
        {
            throw new ApiInputException("\"tables\" must be an array of table names");
        }

        var names = new List<string>();
        foreach (var item in tables.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                throw new ApiInputException("\"tables\" must be an array of table names");
            }

            names.Add(item.GetString()!);
        }

        return names;
    }
}
