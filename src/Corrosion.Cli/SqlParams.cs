using System.Text.Json;

namespace Corrosion.Cli;

/// <summary>
/// Reads <c>--param</c> values: a JSON literal (<c>42</c>, <c>1.5</c>, <c>null</c>, <c>true</c>,
/// <c>"text"</c>, <c>[1,2,3]</c> for a blob) is taken as that value; anything else is text.
/// </summary>
public static class SqlParams
{
    /// <summary>Converts the raw flag values.</summary>
    public static IReadOnlyList<object?> Parse(IEnumerable<string> raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var values = new List<object?>();
        foreach (var text in raw)
        {
            values.Add(ParseOne(text));
        }

        return values;
    }

    private static object? ParseOne(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            return root.ValueKind switch
            {
                JsonValueKind.Object => text,
                _ => root.Clone(),
            };
        }
        catch (JsonException)
        {
            return text;
        }
    }
}
