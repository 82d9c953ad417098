namespace Corrosion.Hocon.Parsing;

/// <summary>
/// Finds the contributions that matter to a path without scanning the whole scope: those at the path
/// or at a parent of it, and those below it.
/// </summary>
internal sealed class ScopeIndex
{
    private readonly Dictionary<string, List<Contribution>> exact = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Contribution>> below = new(StringComparer.Ordinal);

    public ScopeIndex(Scope scope)
    {
        foreach (var c in scope.Items)
        {
            Add(exact, Key(c.Path, c.Path.Count), c);
            for (var n = 0; n < c.Path.Count; n++)
            {
                Add(below, Key(c.Path, n), c);
            }
        }
    }

    public static string Key(IReadOnlyList<string> path, int count)
    {
        if (count == 0)
        {
            return string.Empty;
        }

        var parts = new string[count];
        for (var i = 0; i < count; i++)
        {
            parts[i] = path[i];
        }

        return string.Join('\0', parts) + "\0";
    }

    /// <summary>The relevant contributions, in document order.</summary>
    public List<Contribution> Relevant(IReadOnlyList<string> path)
    {
        var result = new List<Contribution>();
        for (var n = 0; n <= path.Count; n++)
        {
            if (exact.TryGetValue(Key(path, n), out var list))
            {
                result.AddRange(list);
            }
        }

        if (below.TryGetValue(Key(path, path.Count), out var children))
        {
            result.AddRange(children);
        }

        result.Sort((a, b) => a.Seq.CompareTo(b.Seq));
        return result;
    }

    private static void Add(Dictionary<string, List<Contribution>> map, string key, Contribution c)
    {
        if (!map.TryGetValue(key, out var list))
        {
            list = [];
            map[key] = list;
        }

        list.Add(c);
    }
}
