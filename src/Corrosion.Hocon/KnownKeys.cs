using System.Globalization;
using Corrosion.Hocon.Configuration;
using Microsoft.Extensions.Configuration;

namespace Corrosion.Hocon;

/// <summary>
/// The keys a program reads, taken from its reference document (a <c>reference.conf</c> that sets every
/// key to its default), so that a key nobody reads is reported with the closest known one instead of
/// being silently ignored. Keys are compared without regard to case, as configuration binding does.
/// </summary>
public sealed class KnownKeys
{
    private readonly HoconObject reference;
    private readonly HashSet<string> openPaths;
    private readonly List<string> all = [];

    private KnownKeys(HoconObject reference, IEnumerable<string> openPaths)
    {
        this.reference = reference;
        this.openPaths = new HashSet<string>(openPaths.Select(Normalize), StringComparer.OrdinalIgnoreCase);
        Collect(reference, null);
    }

    /// <summary>Every known key and section, dotted (<c>db.path</c>, <c>db</c>), in document order.</summary>
    public IReadOnlyList<string> All => all;

    /// <summary>
    /// Builds the set from a reference document. Every path in it is known; under a key whose default is
    /// a scalar or an array only array indexes are (<c>bootstrap.0</c>). Anything at or under one of
    /// <paramref name="openPaths"/> (dotted) is known too: sections whose keys belong to someone else.
    /// </summary>
    public static KnownKeys FromReference(HoconObject reference, IEnumerable<string>? openPaths = null)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return new KnownKeys(reference, openPaths ?? []);
    }

    /// <summary>Whether a key (<c>db:path</c> or <c>db.path</c>) is read.</summary>
    public bool IsKnown(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return IsKnown(Split(key));
    }

    /// <summary>The known key most like <paramref name="key"/>, or null when none is close.</summary>
    public string? ClosestTo(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var segments = Split(key);
        var leaf = Squash(segments[^1]);
        var parent = string.Join('.', segments[..^1]);
        var whole = Squash(string.Join('.', segments));
        string? best = null;
        var bestScore = int.MaxValue;
        foreach (var candidate in all)
        {
            if (IsUnder(candidate, openPaths))
            {
                continue;
            }

            var candidateSegments = candidate.Split('.');
            var candidateLeaf = Squash(candidateSegments[^1]);
            var candidateParent = string.Join('.', candidateSegments[..^1]);
            int score;
            if (candidateLeaf == leaf)
            {
                // The right key in the wrong section ("gossip.bootstrap" for "membership.bootstrap"),
                // or the right key in another spelling ("ReadPoolSize" for "read_pool_size").
                score = Distance(whole, Squash(candidate));
            }
            else if (string.Equals(candidateParent, parent, StringComparison.OrdinalIgnoreCase)
                && Distance(leaf, candidateLeaf) is var d && d <= Math.Max(2, leaf.Length / 3))
            {
                score = 100 + d;
            }
            else if (Distance(whole, Squash(candidate)) is var w && w <= Math.Max(2, whole.Length / 4))
            {
                score = 200 + w;
            }
            else
            {
                continue;
            }

            if (score < bestScore)
            {
                (best, bestScore) = (candidate, score);
            }
        }

        return best;
    }

    /// <summary>The known keys directly inside a section (<c>db</c>), for a message when nothing is close.</summary>
    public IReadOnlyList<string> KeysOf(string section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return reference.Find(Normalize(section)) is HoconObject obj ? obj.Keys.ToList() : [];
    }

    /// <summary>
    /// The keys a configuration provider sets that are not known, each reported once at its first
    /// unknown level (<c>gossip.bootstrap</c>, not each of its elements), with where it was set when the
    /// provider says so (<see cref="IConfigurationOrigins"/>) and the closest known key.
    /// </summary>
    /// <param name="provider">One layer of a configuration.</param>
    /// <param name="sharedRoot">
    /// True when the provider's keys are a whole application's configuration, where top-level keys that
    /// are not sections of this program belong to other parts of the application and are left alone.
    /// </param>
    public IReadOnlyList<UnknownKey> FindUnknown(IConfigurationProvider provider, bool sharedRoot = false)
    {
        ArgumentNullException.ThrowIfNull(provider);
        var found = new List<UnknownKey>();
        var environment = provider is PrefixedEnvironmentVariablesSource.Provider env ? env : null;
        Walk(provider, null, [], found, sharedRoot, environment);

        // In the order they were written (file:line:column), not the provider's alphabetical order.
        return found.OrderBy(u => Place(u.Origin).Source, StringComparer.Ordinal)
            .ThenBy(u => Place(u.Origin).Line)
            .ThenBy(u => Place(u.Origin).Column)
            .ToList();
    }

    private static (string Source, int Line, int Column) Place(string? origin)
    {
        if (origin is null)
        {
            return (string.Empty, 0, 0);
        }

        var parts = origin.Split(':');
        return parts.Length >= 3
            && int.TryParse(parts[^2], NumberStyles.None, CultureInfo.InvariantCulture, out var line)
            && int.TryParse(parts[^1], NumberStyles.None, CultureInfo.InvariantCulture, out var column)
            ? (string.Join(':', parts[..^2]), line, column)
            : (origin, 0, 0);
    }

    private void Walk(IConfigurationProvider provider, string? parent, string[] parentSegments, List<UnknownKey> found, bool sharedRoot, PrefixedEnvironmentVariablesSource.Provider? environment)
    {
        var children = provider.GetChildKeys([], parent).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        foreach (var child in children)
        {
            var path = parent is null ? child : parent + ConfigurationPath.KeyDelimiter + child;
            string[] segments = [.. parentSegments, child];
            if (IsOpen(segments) || IsElement(segments))
            {
                // Open sections are someone else's; an array element's insides are the element's.
                continue;
            }

            if (IsKnown(segments))
            {
                Walk(provider, path, segments, found, sharedRoot, environment);
                continue;
            }

            if (parent is null && (sharedRoot || environment is not null))
            {
                // A top-level key of a shared configuration belongs to someone else; so does an
                // environment variable without "__" (CORROSION_WORK), unless it looks like a key of
                // ours written with one "_" where "__" was meant (CORROSION_DB_PATH).
                if (environment is null || SplitAtUnderscore(child) is not { } meant)
                {
                    continue;
                }

                found.Add(new UnknownKey(path, $"environment variable {environment.NameOf(path)}", meant, environment.VariableFor(meant)));
                continue;
            }

            var leafKey = FirstLeaf(provider, path);
            var origin = provider is IConfigurationOrigins origins && origins.TryGetOrigin(leafKey, out var o) ? o : null;
            var dotted = path.Replace(':', '.');
            // Below a key that takes a value (gossip.addr.port), the value itself was meant.
            var suggestion = parent is not null && IsValue(parentSegments) ? string.Join('.', parentSegments) : ClosestTo(dotted);
            var siblings = suggestion is null && parent is not null ? KeysOf(string.Join('.', parentSegments)) : null;
            found.Add(new UnknownKey(dotted, origin, suggestion, suggestion is not null ? environment?.VariableFor(suggestion) : null, siblings));
        }
    }

    private string? SplitAtUnderscore(string key)
    {
        for (var i = key.IndexOf('_', StringComparison.Ordinal); i > 0; i = key.IndexOf('_', i + 1))
        {
            var candidate = key[..i] + "." + key[(i + 1)..];
            if (IsKnown(candidate))
            {
                return candidate;
            }

            if (Child(reference, key[..i]) is HoconObject && ClosestTo(candidate) is { } close)
            {
                return close;
            }
        }

        return null;
    }

    private static string FirstLeaf(IConfigurationProvider provider, string path)
    {
        while (provider.GetChildKeys([], path).FirstOrDefault() is { } child)
        {
            path = path + ConfigurationPath.KeyDelimiter + child;
        }

        return path;
    }

    private bool IsOpen(string[] segments)
    {
        for (var n = 1; n <= segments.Length; n++)
        {
            if (openPaths.Contains(string.Join('.', segments[..n])))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>An array index right below a key whose default is not an object (<c>bootstrap.0</c>).</summary>
    private bool IsElement(string[] segments) =>
        segments.Length > 1
        && int.TryParse(segments[^1], NumberStyles.None, CultureInfo.InvariantCulture, out _)
        && IsValue(segments[..^1]);

    /// <summary>A known key whose default is a value (a scalar, an array or null), not a section.</summary>
    private bool IsValue(string[] segments)
    {
        HoconValue current = reference;
        foreach (var segment in segments)
        {
            if (current is not HoconObject obj || Child(obj, segment) is not { } next)
            {
                return false;
            }

            current = next;
        }

        return current is not HoconObject;
    }

    private bool IsKnown(string[] segments)
    {
        if (IsOpen(segments))
        {
            return true;
        }

        HoconValue current = reference;
        foreach (var segment in segments)
        {
            if (current is not HoconObject obj)
            {
                return int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out _);
            }

            if (Child(obj, segment) is not { } next)
            {
                return false;
            }

            current = next;
        }

        return true;
    }

    private static HoconValue? Child(HoconObject obj, string key)
    {
        if (obj.TryGetValue(key, out var exact))
        {
            return exact;
        }

        foreach (var (k, v) in obj)
        {
            if (string.Equals(k, key, StringComparison.OrdinalIgnoreCase))
            {
                return v;
            }
        }

        return null;
    }

    private void Collect(HoconObject obj, string? prefix)
    {
        foreach (var (key, value) in obj)
        {
            var path = prefix is null ? key : prefix + "." + key;
            all.Add(path);
            if (value is HoconObject child)
            {
                Collect(child, path);
            }
        }
    }

    private static bool IsUnder(string candidate, HashSet<string> paths) =>
        paths.Any(p => candidate.Equals(p, StringComparison.OrdinalIgnoreCase) || candidate.StartsWith(p + ".", StringComparison.OrdinalIgnoreCase));

    private static string Normalize(string key) => key.Replace(':', '.');

    private static string[] Split(string key) => key.Split(':', '.');

    /// <summary>Lower case without separators, so read_pool_size, ReadPoolSize and read-pool-size compare equal.</summary>
    private static string Squash(string key) =>
        string.Concat(key.Where(c => c is not ('_' or '-'))).ToUpperInvariant();

    /// <summary>Levenshtein distance.</summary>
    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j] + 1, current[j - 1] + 1));
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
