using System.Text;

namespace Corrosion.Hocon.Parsing;

/// <summary>
/// Recursive-descent parser from tokens to <see cref="Scope"/> contributions. Field values that are
/// object literals are spread into the enclosing scope as one contribution per field, which is what
/// lets self-references and merges work per key.
/// </summary>
internal sealed class Parser
{
    /// <summary>Deeper nesting is refused, so hostile input cannot overflow the stack.</summary>
    public const int MaxNesting = 200;

    private readonly List<Token> tokens;
    private readonly ParseSession session;
    private readonly string baseDirectory;
    private readonly IReadOnlyList<string> includePrefix;
    private int index;
    private int depth;

    // Key segments of the fields being parsed ("a.b.c = {" adds three): with depth, how deep the
    // resulting tree is, so a long dotted key cannot nest beyond MaxNesting either.
    private int level;

    private Parser(List<Token> tokens, ParseSession session, string baseDirectory, IReadOnlyList<string> includePrefix)
    {
        this.tokens = tokens;
        this.session = session;
        this.baseDirectory = baseDirectory;
        this.includePrefix = includePrefix;
    }

    private Token Peek => tokens[index];

    /// <summary>
    /// Parses a whole document into <paramref name="scope"/> under <paramref name="scopePrefix"/>;
    /// <paramref name="logicalPrefix"/> is the same place in root coordinates, used to fix up
    /// substitutions in included files.
    /// </summary>
    public static void ParseDocument(
        string text,
        string source,
        ParseSession session,
        string baseDirectory,
        Scope scope,
        IReadOnlyList<string> scopePrefix,
        IReadOnlyList<string> logicalPrefix)
    {
        var parser = new Parser(Lexer.Tokenize(text, source), session, baseDirectory, logicalPrefix) { level = scopePrefix.Count };
        parser.ParseRoot(scope, scopePrefix, logicalPrefix);
    }

    private static string[] Concat(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        var result = new string[a.Count + b.Count];
        for (var i = 0; i < a.Count; i++)
        {
            result[i] = a[i];
        }

        for (var i = 0; i < b.Count; i++)
        {
            result[a.Count + i] = b[i];
        }

        return result;
    }

    private Token Advance() => tokens[index++];

    private void SkipWhitespace()
    {
        while (Peek.Kind == TokenKind.Whitespace)
        {
            index++;
        }
    }

    private void SkipWhitespaceAndNewlines()
    {
        while (Peek.Kind is TokenKind.Whitespace or TokenKind.Newline)
        {
            index++;
        }
    }

    private void ParseRoot(Scope scope, IReadOnlyList<string> scopePrefix, IReadOnlyList<string> logicalPrefix)
    {
        SkipWhitespaceAndNewlines();
        var first = Peek;
        if (first.Kind == TokenKind.LBrace)
        {
            Advance();
            ParseObjectBody(scope, scopePrefix, logicalPrefix, TokenKind.RBrace, first.Position);
            SkipWhitespaceAndNewlines();
            if (Peek.Kind != TokenKind.Eof)
            {
                throw Peek.Position.Error($"expected end of input after the root object's closing '}}', found {Peek.Describe()}");
            }

            return;
        }

        if (first.Kind == TokenKind.LBracket)
        {
            throw first.Position.Error("the root of a configuration document must be an object, found '['");
        }

        ParseObjectBody(scope, scopePrefix, logicalPrefix, TokenKind.Eof, first.Position);
    }

    private void ParseObjectBody(Scope scope, IReadOnlyList<string> scopePrefix, IReadOnlyList<string>? logicalPrefix, TokenKind closing, SourcePosition openedAt)
    {
        while (true)
        {
            SkipWhitespaceAndNewlines();
            var t = Peek;
            if (t.Kind == closing)
            {
                if (closing != TokenKind.Eof)
                {
                    Advance();
                }

                return;
            }

            if (t.Kind == TokenKind.Eof)
            {
                throw t.Position.Error($"unclosed object: expected '}}' to close the '{{' opened at line {openedAt.Line}, column {openedAt.Column}");
            }

            if (t.Kind == TokenKind.Comma)
            {
                throw t.Position.Error("unexpected ',': expected a key (two commas in a row, or a comma before the first field)");
            }

            if (IsIncludeStart())
            {
                ParseInclude(scope, scopePrefix, logicalPrefix);
            }
            else
            {
                ParseField(scope, scopePrefix, logicalPrefix);
            }

            SkipWhitespace();
            t = Peek;
            if (t.Kind == TokenKind.Comma)
            {
                Advance();
            }
            else if (t.Kind == TokenKind.Eof && closing != TokenKind.Eof)
            {
                throw t.Position.Error($"unclosed object: expected '}}' to close the '{{' opened at line {openedAt.Line}, column {openedAt.Column}");
            }
            else if (t.Kind != TokenKind.Newline && t.Kind != closing)
            {
                throw t.Position.Error($"expected ',' or a new line after a field's value, found {t.Describe()}");
            }
        }
    }

    private bool IsIncludeStart()
    {
        if (Peek.Kind != TokenKind.Unquoted || Peek.Text != "include" || tokens[index + 1].Kind != TokenKind.Whitespace)
        {
            return false;
        }

        var next = tokens[index + 2];
        return next.Kind == TokenKind.QuotedString
            || (next.Kind == TokenKind.Unquoted && (next.Text.StartsWith("required(", StringComparison.Ordinal)
                || next.Text.StartsWith("file(", StringComparison.Ordinal)
                || next.Text.StartsWith("classpath(", StringComparison.Ordinal)
                || next.Text.StartsWith("url(", StringComparison.Ordinal)));
    }

    private void ParseField(Scope scope, IReadOnlyList<string> scopePrefix, IReadOnlyList<string>? logicalPrefix)
    {
        var keyStart = Peek.Position;
        var key = ParseKey();
        if (depth + level + key.Length > MaxNesting)
        {
            // Paths are indexed per prefix (ScopeIndex): a dotted key of 100,000 segments would take quadratic time.
            throw keyStart.Error($"keys and objects are nested more than {MaxNesting} deep");
        }

        level += key.Length;
        try
        {
            ParseFieldValue(scope, scopePrefix, logicalPrefix, key, keyStart);
        }
        finally
        {
            level -= key.Length;
        }
    }

    private void ParseFieldValue(Scope scope, IReadOnlyList<string> scopePrefix, IReadOnlyList<string>? logicalPrefix, string[] key, SourcePosition keyStart)
    {
        var scopePath = Concat(scopePrefix, key);
        var logicalPath = logicalPrefix is null ? null : Concat(logicalPrefix, key);
        SkipWhitespace();
        var separator = Peek;
        switch (separator.Kind)
        {
            case TokenKind.Colon:
            case TokenKind.Equals:
            {
                Advance();
                SkipWhitespaceAndNewlines();
                var parts = ParseValue(logicalPath, ofField: true);
                AddField(scope, scopePath, parts);
                break;
            }

            case TokenKind.LBrace:
            {
                var parts = ParseValue(logicalPath, ofField: true);
                AddField(scope, scopePath, parts);
                break;
            }

            case TokenKind.PlusEquals:
            {
                Advance();
                SkipWhitespaceAndNewlines();
                var seq = session.NextSeq();
                var parts = ParseValue(null);
                var element = ToExpr(parts);

                // HOCON.md: "a += b" means "a = ${?a} [b]".
                var self = new SubstitutionExpr(separator.Position, logicalPath ?? scopePath, true, [], HoconPath.Render(logicalPath ?? scopePath));
                var value = new ConcatExpr(separator.Position, [self, new ArrayExpr(element.Position, [element])]);
                scope.Items.Add(new Contribution(scopePath, value, seq));
                break;
            }

            default:
                throw separator.Position.Error(
                    $"expected ':', '=', '+=' or '{{' after key '{HoconPath.Render(key)}' (started at line {keyStart.Line}, column {keyStart.Column}), found {separator.Describe()}");
        }
    }

    private string[] ParseKey()
    {
        var start = Peek.Position;
        var pieces = new List<(string Text, bool Quoted)>();
        var display = new StringBuilder();
        while (true)
        {
            var t = Peek;
            if (t.Kind is TokenKind.Unquoted or TokenKind.Number or TokenKind.Whitespace)
            {
                pieces.Add((t.Text, false));
                display.Append(t.Text);
            }
            else if (t.Kind == TokenKind.QuotedString)
            {
                pieces.Add((t.Text, true));
                display.Append('"').Append(t.Text).Append('"');
            }
            else if (t.Kind == TokenKind.Substitution)
            {
                throw t.Position.Error("substitutions are not allowed in keys");
            }
            else
            {
                break;
            }

            Advance();
        }

        if (pieces.Count == 0)
        {
            throw start.Error($"expected a key, found {Peek.Describe()}");
        }

        return HoconPath.Split(pieces, display.ToString().Trim(), start);
    }

    private readonly record struct Part(Expr Expr, int Seq);

    /// <summary>
    /// Reads a value up to the end of the line, a ',' or a closing bracket: one or more values
    /// written side by side (a concatenation), whitespace between them kept.
    /// </summary>
    private List<Part> ParseValue(IReadOnlyList<string>? logicalPath, bool ofField = false)
    {
        var parts = new List<Part>();
        while (true)
        {
            var t = Peek;
            switch (t.Kind)
            {
                case TokenKind.Whitespace:
                    Advance();
                    if (parts.Count > 0)
                    {
                        parts.Add(new Part(new LiteralExpr(t.Position, t.Text, LiteralKind.Whitespace), session.NextSeq()));
                    }

                    continue;
                case TokenKind.QuotedString:
                    Advance();
                    parts.Add(new Part(new LiteralExpr(t.Position, t.Text, LiteralKind.Quoted), session.NextSeq()));
                    continue;
                case TokenKind.Unquoted:
                    Advance();
                    parts.Add(new Part(new LiteralExpr(t.Position, t.Text, LiteralKind.Unquoted), session.NextSeq()));
                    continue;
                case TokenKind.Number:
                    Advance();
                    parts.Add(new Part(new LiteralExpr(t.Position, t.Text, LiteralKind.Number), session.NextSeq()));
                    continue;
                case TokenKind.Substitution:
                    Advance();
                    parts.Add(new Part(new SubstitutionExpr(t.Position, t.Path!, t.Optional, includePrefix, t.Text), session.NextSeq()));
                    continue;
                case TokenKind.LBrace:
                {
                    Advance();

                    // A field's own object is the level its key already counted; an object anywhere
                    // else (in an array) is a level of its own.
                    var counted = !ofField;
                    if (counted)
                    {
                        Nest(t);
                    }

                    var seq = session.NextSeq();
                    var anonymous = new Scope(false);
                    anonymous.Items.Add(new Contribution([], new EmptyObjectExpr(t.Position), seq));
                    ParseObjectBody(anonymous, [], logicalPath, TokenKind.RBrace, t.Position);
                    if (counted)
                    {
                        depth--;
                    }

                    parts.Add(new Part(new ObjectExpr(t.Position, anonymous), seq));
                    continue;
                }

                case TokenKind.LBracket:
                {
                    Advance();
                    Nest(t);
                    var seq = session.NextSeq();
                    parts.Add(new Part(ParseArray(t.Position), seq));
                    depth--;
                    continue;
                }

                case TokenKind.Colon:
                case TokenKind.Equals:
                case TokenKind.PlusEquals:
                    throw t.Position.Error($"unexpected '{t.Text}' in a value; quote strings that contain it, or put fields on separate lines or between commas");
            }

            break;
        }

        while (parts.Count > 0 && parts[^1].Expr is LiteralExpr { Kind: LiteralKind.Whitespace })
        {
            parts.RemoveAt(parts.Count - 1);
        }

        if (parts.Count == 0)
        {
            throw Peek.Position.Error($"expected a value, found {Peek.Describe()}");
        }

        return parts;
    }

    private void Nest(Token opening)
    {
        if (++depth + level > MaxNesting)
        {
            throw opening.Position.Error($"objects and arrays are nested more than {MaxNesting} deep");
        }
    }

    private static Expr ToExpr(List<Part> parts) =>
        parts.Count == 1 ? parts[0].Expr : new ConcatExpr(parts[0].Expr.Position, parts.Select(p => p.Expr).ToArray());

    private static void AddField(Scope scope, string[] path, List<Part> parts)
    {
        var values = parts.Where(p => p.Expr is not LiteralExpr { Kind: LiteralKind.Whitespace }).ToList();
        if (values.Any(p => p.Expr is ObjectExpr))
        {
            var bad = values.FirstOrDefault(p => p.Expr is not (ObjectExpr or SubstitutionExpr));
            if (bad.Expr is not null)
            {
                throw bad.Expr.Position.Error("cannot concatenate an object with a string, number or array");
            }

            // "a = ${b} { c = 1 }" is "a = ${b}" followed by "a { c = 1 }" (HOCON.md, "Value concatenation").
            foreach (var part in values)
            {
                if (part.Expr is ObjectExpr obj)
                {
                    foreach (var item in obj.Scope.Items)
                    {
                        scope.Items.Add(item with { Path = Concat(path, item.Path) });
                    }
                }
                else
                {
                    scope.Items.Add(new Contribution(path, part.Expr, part.Seq));
                }
            }

            return;
        }

        scope.Items.Add(new Contribution(path, ToExpr(parts), parts[0].Seq));
    }

    private ArrayExpr ParseArray(SourcePosition openedAt)
    {
        var elements = new List<Expr>();
        while (true)
        {
            SkipWhitespaceAndNewlines();
            var t = Peek;
            if (t.Kind == TokenKind.RBracket)
            {
                Advance();
                return new ArrayExpr(openedAt, elements);
            }

            if (t.Kind == TokenKind.Eof)
            {
                throw t.Position.Error($"unclosed array: expected ']' to close the '[' opened at line {openedAt.Line}, column {openedAt.Column}");
            }

            if (t.Kind == TokenKind.Comma)
            {
                throw t.Position.Error("unexpected ',' in array: expected a value");
            }

            elements.Add(ToExpr(ParseValue(null)));
            SkipWhitespace();
            t = Peek;
            if (t.Kind == TokenKind.Comma)
            {
                Advance();
            }
            else if (t.Kind == TokenKind.Eof)
            {
                throw t.Position.Error($"unclosed array: expected ']' to close the '[' opened at line {openedAt.Line}, column {openedAt.Column}");
            }
            else if (t.Kind is not (TokenKind.Newline or TokenKind.RBracket))
            {
                throw t.Position.Error($"expected ',', a new line or ']' after an array element, found {t.Describe()}");
            }
        }
    }

    private void ParseInclude(Scope scope, IReadOnlyList<string> scopePrefix, IReadOnlyList<string>? logicalPrefix)
    {
        var at = Advance().Position;
        SkipWhitespace();
        var shape = new StringBuilder();
        string? name = null;
        while (Peek.Kind is TokenKind.Unquoted or TokenKind.QuotedString or TokenKind.Whitespace)
        {
            var t = Advance();
            if (t.Kind == TokenKind.QuotedString)
            {
                if (name is not null)
                {
                    throw t.Position.Error("include takes one quoted file name");
                }

                name = t.Text;
                shape.Append('"');
            }
            else if (t.Kind == TokenKind.Unquoted)
            {
                shape.Append(t.Text);
            }
        }

        var form = shape.ToString();
        var required = false;
        if (form.StartsWith("required(", StringComparison.Ordinal) && form.EndsWith(')'))
        {
            required = true;
            form = form["required(".Length..^1];
        }

        string kind;
        if (form == "\"")
        {
            kind = "file";
        }
        else if (form is "file(\")" or "classpath(\")" or "url(\")")
        {
            kind = form[..form.IndexOf('(', StringComparison.Ordinal)];
        }
        else
        {
            throw at.Error("malformed include: expected include \"name\", include file(\"name\"), or include required(...) around either");
        }

        if (kind == "url")
        {
            throw at.Error("include url(...) is not supported; include a file instead");
        }

        // classpath(...) has no meaning here: it is looked up like a file, relative to the including file.
        Include(scope, scopePrefix, logicalPrefix ?? [], name!, required, at);
    }

    private void Include(Scope scope, IReadOnlyList<string> scopePrefix, IReadOnlyList<string> logicalPrefix, string name, bool required, SourcePosition at)
    {
        var fullPath = Path.GetFullPath(Path.IsPathRooted(name) ? name : Path.Combine(baseDirectory, name));
        if (!File.Exists(fullPath) && Path.GetExtension(fullPath).Length == 0)
        {
            // HOCON.md: a name without extension means name.conf (or .json); both are HOCON here.
            foreach (var extension in new[] { ".conf", ".json" })
            {
                if (File.Exists(fullPath + extension))
                {
                    fullPath += extension;
                    break;
                }
            }
        }

        if (!File.Exists(fullPath))
        {
            if (required)
            {
                throw at.Error($"required include '{name}' not found (looked for {fullPath})");
            }

            Log.IncludeNotFound(session.Logger, at.ToString(), name, fullPath);
            return;
        }

        if (session.IncludeStack.Contains(fullPath, StringComparer.Ordinal))
        {
            var cycle = string.Join(" -> ", session.IncludeStack.SkipWhile(p => p != fullPath).Append(fullPath).Select(Path.GetFileName));
            throw at.Error($"include cycle: {cycle}");
        }

        session.IncludeStack.Add(fullPath);
        try
        {
            ParseDocument(File.ReadAllText(fullPath), fullPath, session, Path.GetDirectoryName(fullPath)!, scope, scopePrefix, logicalPrefix);
        }
        finally
        {
            session.IncludeStack.RemoveAt(session.IncludeStack.Count - 1);
        }
    }
}
