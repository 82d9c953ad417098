using Corrosion.Hocon.Parsing;

namespace Corrosion.Hocon;

/// <summary>
/// Parses HOCON (Lightbend's HOCON.md): objects, arrays, dotted keys, merging, <c>+=</c>, comments,
/// quoted/unquoted/triple-quoted strings, value concatenation, includes and substitutions, which are
/// resolved before the tree is returned. Errors are <see cref="HoconException"/>s naming source, line
/// and column.
/// </summary>
public static class HoconParser
{
    /// <summary>Parses and resolves a document given as text.</summary>
    /// <param name="text">The HOCON text.</param>
    /// <param name="sourceName">Name used in error messages, e.g. <c>reference.conf</c>.</param>
    /// <param name="options">Include directory, logger and environment lookup.</param>
    public static HoconObject Parse(string text, string? sourceName = null, HoconParseOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        options ??= new HoconParseOptions();
        var session = new ParseSession(options);
        var baseDirectory = options.BaseDirectory ?? Directory.GetCurrentDirectory();
        return ParseAndResolve(text, sourceName ?? "<string>", session, baseDirectory);
    }

    /// <summary>Parses and resolves a file; its includes are resolved relative to its directory.</summary>
    public static HoconObject ParseFile(string path, HoconParseOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= new HoconParseOptions();
        var fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new HoconException($"configuration file '{path}' not found (looked for {fullPath})");
        }

        var session = new ParseSession(options);
        session.IncludeStack.Add(fullPath);
        return ParseAndResolve(File.ReadAllText(fullPath), path, session, Path.GetDirectoryName(fullPath)!);
    }

    private static HoconObject ParseAndResolve(string text, string sourceName, ParseSession session, string baseDirectory)
    {
        var root = new Scope(true);
        Parser.ParseDocument(text, sourceName, session, baseDirectory, root, [], []);
        return new Resolver(root, session.Options).ResolveRoot();
    }
}
