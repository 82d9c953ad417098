using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Corrosion.Agent.Storage;

namespace Corrosion.Bench.Replication;

/// <summary>Inserts one fresh row through the HTTP API and reads back the version it committed.</summary>
internal static class RowWriter
{
    public static async Task<(ActorId Origin, long Version, long CommittedAt)> WriteAsync(HttpClient client, ActorId origin, long key)
    {
        var body = JsonSerializer.Serialize(new object[] { new object[] { "INSERT INTO kv (k, v) VALUES (?, ?)", new[] { $"k{key}", "v" } } });
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await client.PostAsync(new Uri("v1/transactions", UriKind.Relative), content);
        var json = await response.Content.ReadAsByteArrayAsync();
        var committedAt = Stopwatch.GetTimestamp();
        response.EnsureSuccessStatusCode();
        using var doc = JsonDocument.Parse(json);
        var version = FindVersion(doc.RootElement) ?? throw new InvalidOperationException("no version in response: " + Encoding.UTF8.GetString(json));
        return (origin, version, committedAt);
    }

    private static long? FindVersion(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                if (property.NameEquals("version") && property.Value.ValueKind == JsonValueKind.Number)
                {
                    return property.Value.GetInt64();
                }

                if (FindVersion(property.Value) is { } nested)
                {
                    return nested;
                }
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                if (FindVersion(item) is { } nested)
                {
                    return nested;
                }
            }
        }

        return null;
    }
}
