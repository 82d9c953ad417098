using Microsoft.Extensions.Logging;

namespace Corrosion.Agent.Admin;

/// <summary>
/// The log filter <c>corrosion log set</c> changes while the node runs: a default level and levels per
/// category prefix (<c>debug</c>, <c>warning,Corrosion.Agent.Membership=debug</c>), the longest
/// matching prefix deciding. <c>corrosion log reset</c> goes back to the start-up filter. Hooked into
/// logging with <c>AddFilter((category, level) =&gt; levels.IsEnabled(category, level))</c>.
/// </summary>
public sealed class LogLevels
{
    private readonly string _initial;
    private volatile Filter _current;

    /// <summary>Creates the filter with its start-up directives.</summary>
    /// <param name="initial">Directives, for example <c>information,Microsoft=warning</c>.</param>
    public LogLevels(string initial)
    {
        _initial = initial;
        _current = Parse(initial);
    }

    /// <summary>The directives in force, as text.</summary>
    public string Current => _current.Text;

    /// <summary>Whether a line of <paramref name="category"/> at <paramref name="level"/> is written.</summary>
    public bool IsEnabled(string? category, LogLevel level) => level >= _current.LevelFor(category ?? string.Empty);

    /// <summary>Replaces the directives.</summary>
    /// <exception cref="ArgumentException">a directive is not a level or <c>prefix=level</c>; nothing changes.</exception>
    public void Set(string directives) => _current = Parse(directives);

    /// <summary>Goes back to the start-up directives.</summary>
    public void Reset() => _current = Parse(_initial);

    private static Filter Parse(string directives)
    {
        ArgumentNullException.ThrowIfNull(directives);
        LogLevel? fallback = null;
        var prefixes = new List<(string Prefix, LogLevel Level)>();
        foreach (var raw in directives.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = raw.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0)
            {
                fallback = ParseLevel(raw);
                continue;
            }

            var prefix = raw[..eq].Trim();
            if (prefix.Length == 0)
            {
                throw new ArgumentException($"log directive \"{raw}\" has no category before '='");
            }

            prefixes.Add((prefix, ParseLevel(raw[(eq + 1)..].Trim())));
        }

        if (fallback is null && prefixes.Count == 0)
        {
            throw new ArgumentException("no log level given: use trace, debug, info, warn, error, critical or none, optionally with Category=level pairs");
        }

        return new Filter(fallback ?? LogLevel.Information, [.. prefixes.OrderByDescending(p => p.Prefix.Length)], directives.Trim());
    }

    private static LogLevel ParseLevel(string text) => text.ToLowerInvariant() switch
    {
        "trace" => LogLevel.Trace,
        "debug" => LogLevel.Debug,
        "info" or "information" => LogLevel.Information,
        "warn" or "warning" => LogLevel.Warning,
        "error" => LogLevel.Error,
        "critical" => LogLevel.Critical,
        "none" or "off" => LogLevel.None,
        _ => throw new ArgumentException($"\"{text}\" is not a log level: use trace, debug, info, warn, error, critical or none"),
    };

    // An array, walked by index: ASP.NET Core asks several times per request (Kestrel, routing), and enumerating
    // an IReadOnlyList boxed its enumerator each time (a quarter of the bytes a POST /v1/transactions allocated).
    private sealed record Filter(LogLevel Fallback, (string Prefix, LogLevel Level)[] Prefixes, string Text)
    {
        public LogLevel LevelFor(string category)
        {
            var prefixes = Prefixes;
            for (var i = 0; i < prefixes.Length; i++)
            {
                if (category.StartsWith(prefixes[i].Prefix, StringComparison.Ordinal))
                {
                    return prefixes[i].Level;
                }
            }

            return Fallback;
        }
    }
}
