using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace Corrosion.Hocon.Configuration;

/// <summary>
/// Finds the line and column of a configuration key (<c>Corrosion:db:path</c>) in a JSON file such as
/// <c>appsettings.json</c>, whose configuration provider does not remember them.
/// </summary>
internal static class JsonKeyLocator
{
    /// <summary>The 1-based line and column of the key's property name (or array element), or null.</summary>
    public static (int Line, int Column)? Locate(string file, string key)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        var target = key.Split(ConfigurationPath.KeyDelimiter);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var path = new List<string>();

        // For each open container: the index of its next array element, or -1 for an object.
        var containers = new Stack<int>();
        try
        {
            while (reader.Read())
            {
                var atElement = containers.Count > 0 && containers.Peek() >= 0 && reader.TokenType is not (JsonTokenType.EndArray or JsonTokenType.EndObject);
                if (atElement)
                {
                    var index = containers.Pop();
                    containers.Push(index + 1);
                    path.Add(index.ToString(System.Globalization.CultureInfo.InvariantCulture));
                }

                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        path.Add(reader.GetString()!);
                        if (Matches(path, target))
                        {
                            return Position(bytes, (int)reader.TokenStartIndex);
                        }

                        continue;
                    case JsonTokenType.StartObject:
                        containers.Push(-1);
                        continue;
                    case JsonTokenType.StartArray:
                        containers.Push(0);
                        continue;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        containers.Pop();
                        break;
                    default:
                        if (atElement && Matches(path, target))
                        {
                            return Position(bytes, (int)reader.TokenStartIndex);
                        }

                        break;
                }

                // A value (or a container) ended: drop its name or index.
                if (path.Count > 0 && containers.Count > 0)
                {
                    path.RemoveAt(path.Count - 1);
                }
            }
        }
        catch (JsonException)
        {
            return null;
        }

        return null;
    }

    private static bool Matches(List<string> path, string[] target) =>
        path.Count == target.Length && path.Zip(target).All(p => string.Equals(p.First, p.Second, StringComparison.OrdinalIgnoreCase));

    private static (int Line, int Column) Position(byte[] bytes, int offset)
    {
        var line = 1;
        var lineStart = 0;
        for (var i = 0; i < offset; i++)
        {
            if (bytes[i] == (byte)'\n')
            {
                line++;
                lineStart = i + 1;
            }
        }

        return (line, offset - lineStart + 1);
    }
}
