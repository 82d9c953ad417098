using System.Text;

namespace Corrosion.Hocon.Parsing;

/// <summary>HOCON path expressions: segments split on unquoted dots; quoted parts are literal.</summary>
internal static class HoconPath
{
    /// <summary>Parses a path such as <c>a.b."c.d"</c>.</summary>
    public static string[] Parse(string path, SourcePosition? position = null)
    {
        var pieces = new List<(string Text, bool Quoted)>();
        var sb = new StringBuilder();
        for (var i = 0; i < path.Length; i++)
        {
            if (path[i] == '"')
            {
                if (sb.Length > 0)
                {
                    pieces.Add((sb.ToString(), false));
                    sb.Clear();
                }

                var end = path.IndexOf('"', i + 1);
                if (end < 0)
                {
                    throw Fail(position, $"unclosed quote in path '{path}'");
                }

                pieces.Add((path[(i + 1)..end], true));
                i = end;
            }
            else
            {
                sb.Append(path[i]);
            }
        }

        if (sb.Length > 0)
        {
            pieces.Add((sb.ToString(), false));
        }

        return Split(pieces, path, position);
    }

    /// <summary>
    /// Joins pieces of a key into segments: unquoted dots separate, quoted text is kept whole;
    /// whitespace at the ends of the whole key is dropped, whitespace inside is kept.
    /// </summary>
    public static string[] Split(List<(string Text, bool Quoted)> pieces, string display, SourcePosition? position)
    {
        TrimEnds(pieces);
        if (pieces.Count == 0)
        {
            throw Fail(position, "expected a key or path, found nothing");
        }

        var segments = new List<string>();
        var current = new StringBuilder();
        var hasContent = false;
        foreach (var (text, quoted) in pieces)
        {
            if (quoted)
            {
                current.Append(text);
                hasContent = true;
                continue;
            }

            foreach (var c in text)
            {
                if (c == '.')
                {
                    if (!hasContent)
                    {
                        throw Fail(position, $"path '{display}' has an empty segment; quote keys that contain '.' or are empty");
                    }

                    segments.Add(current.ToString());
                    current.Clear();
                    hasContent = false;
                }
                else
                {
                    current.Append(c);
                    hasContent = true;
                }
            }
        }

        if (!hasContent)
        {
            throw Fail(position, $"path '{display}' ends with '.'");
        }

        segments.Add(current.ToString());
        return [.. segments];
    }

    /// <summary>Renders a path, quoting segments that need it.</summary>
    public static string Render(IReadOnlyList<string> path)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < path.Count; i++)
        {
            if (i > 0)
            {
                sb.Append('.');
            }

            var s = path[i];
            var plain = s.Length > 0 && s.All(c => char.IsLetterOrDigit(c) || c is '-' or '_');
            sb.Append(plain ? s : "\"" + s.Replace("\"", "\\\"", StringComparison.Ordinal) + "\"");
        }

        return sb.ToString();
    }

    private static void TrimEnds(List<(string Text, bool Quoted)> pieces)
    {
        while (pieces.Count > 0 && !pieces[0].Quoted)
        {
            var t = pieces[0].Text.TrimStart();
            if (t.Length > 0)
            {
                pieces[0] = (t, false);
                break;
            }

            pieces.RemoveAt(0);
        }

        while (pieces.Count > 0 && !pieces[^1].Quoted)
        {
            var t = pieces[^1].Text.TrimEnd();
            if (t.Length > 0)
            {
                pieces[^1] = (t, false);
                break;
            }

            pieces.RemoveAt(pieces.Count - 1);
        }
    }

    private static HoconException Fail(SourcePosition? position, string message) =>
        position is { } p ? p.Error(message) : new HoconException(message);
}
