using System.Globalization;
using System.Text;

namespace Corrosion.Hocon.Parsing;

/// <summary>Turns HOCON text into tokens. Comments are dropped; the newline that ends them is kept.</summary>
internal sealed class Lexer
{
    // Characters that may not appear in unquoted text (HOCON.md, "Unquoted strings").
    private const string Forbidden = "$\"{}[]:=,+#`^?!@*&\\";

    private readonly string text;
    private readonly string source;
    private int pos;
    private int line = 1;
    private int lineStart;

    private Lexer(string text, string source)
    {
        this.text = text;
        this.source = source;
    }

    public static List<Token> Tokenize(string text, string source)
    {
        var lexer = new Lexer(text, source);
        var tokens = new List<Token>();
        Token t;
        do
        {
            t = lexer.Next();
            tokens.Add(t);
        }
        while (t.Kind != TokenKind.Eof);

        return tokens;
    }

    private SourcePosition Here => new(source, line, pos - lineStart + 1);

    private static bool IsWhitespace(char c) => c != '\n' && (char.IsWhiteSpace(c) || c == '\uFEFF');

    private bool IsCommentStart() =>
        text[pos] == '#' || (text[pos] == '/' && pos + 1 < text.Length && text[pos + 1] == '/');

    private bool IsUnquotedChar(int i) =>
        i < text.Length && !IsWhitespace(text[i]) && text[i] != '\n' && !Forbidden.Contains(text[i], StringComparison.Ordinal)
        && !(text[i] == '/' && i + 1 < text.Length && text[i + 1] == '/');

    private Token Next()
    {
        if (pos >= text.Length)
        {
            return new Token(TokenKind.Eof, string.Empty, Here);
        }

        var start = Here;
        var c = text[pos];
        if (c == '\n')
        {
            pos++;
            line++;
            lineStart = pos;
            return new Token(TokenKind.Newline, "\n", start);
        }

        if (IsWhitespace(c))
        {
            var begin = pos;
            while (pos < text.Length && IsWhitespace(text[pos]))
            {
                pos++;
            }

            return new Token(TokenKind.Whitespace, text[begin..pos], start);
        }

        if (IsCommentStart())
        {
            while (pos < text.Length && text[pos] != '\n')
            {
                pos++;
            }

            return Next();
        }

        switch (c)
        {
            case '{': pos++; return new Token(TokenKind.LBrace, "{", start);
            case '}': pos++; return new Token(TokenKind.RBrace, "}", start);
            case '[': pos++; return new Token(TokenKind.LBracket, "[", start);
            case ']': pos++; return new Token(TokenKind.RBracket, "]", start);
            case ',': pos++; return new Token(TokenKind.Comma, ",", start);
            case ':': pos++; return new Token(TokenKind.Colon, ":", start);
            case '=': pos++; return new Token(TokenKind.Equals, "=", start);
            case '+':
                if (pos + 1 < text.Length && text[pos + 1] == '=')
                {
                    pos += 2;
                    return new Token(TokenKind.PlusEquals, "+=", start);
                }

                throw start.Error("'+' is not allowed in unquoted text (did you mean '+='?); quote the string");
            case '"':
                return pos + 2 < text.Length && text[pos + 1] == '"' && text[pos + 2] == '"'
                    ? ReadTripleQuoted(start)
                    : ReadQuoted(start);
            case '$':
                return ReadSubstitution(start);
        }

        if (Forbidden.Contains(c, StringComparison.Ordinal))
        {
            throw start.Error($"'{c}' is not allowed in unquoted text; quote the string");
        }

        if (c == '-' || char.IsAsciiDigit(c))
        {
            var number = TryReadNumber(start);
            if (number is not null)
            {
                return number;
            }
        }

        var from = pos;
        while (IsUnquotedChar(pos))
        {
            pos++;
        }

        return new Token(TokenKind.Unquoted, text[from..pos], start);
    }

    private Token? TryReadNumber(SourcePosition start)
    {
        var end = pos;
        while (end < text.Length && "0123456789.eE+-".Contains(text[end], StringComparison.Ordinal))
        {
            end++;
        }

        // Text such as "10ms" or "2020-01-01" continues as an unquoted string.
        if (IsUnquotedChar(end) && !"+".Contains(text[end], StringComparison.Ordinal))
        {
            return null;
        }

        var candidate = text[pos..end];
        if (!IsJsonNumber(candidate))
        {
            return null;
        }

        pos = end;
        return new Token(TokenKind.Number, candidate, start);
    }

    private static bool IsJsonNumber(string s)
    {
        var i = 0;
        if (i < s.Length && s[i] == '-')
        {
            i++;
        }

        var digits = i;
        while (i < s.Length && char.IsAsciiDigit(s[i]))
        {
            i++;
        }

        if (i == digits)
        {
            return false;
        }

        if (i < s.Length && s[i] == '.')
        {
            i++;
            var frac = i;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
            }

            if (i == frac)
            {
                return false;
            }
        }

        if (i < s.Length && (s[i] == 'e' || s[i] == 'E'))
        {
            i++;
            if (i < s.Length && (s[i] == '+' || s[i] == '-'))
            {
                i++;
            }

            var exp = i;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
            }

            if (i == exp)
            {
                return false;
            }
        }

        return i == s.Length;
    }

    private Token ReadQuoted(SourcePosition start)
    {
        pos++;
        var value = ReadQuotedBody(start);
        return new Token(TokenKind.QuotedString, value, start);
    }

    /// <summary>Reads a JSON string body after its opening quote, through the closing quote.</summary>
    private string ReadQuotedBody(SourcePosition start)
    {
        var sb = new StringBuilder();
        while (true)
        {
            if (pos >= text.Length || text[pos] == '\n')
            {
                throw start.Error("unclosed string: expected a closing '\"' before the end of the line (use \"\"\" for multi-line strings)");
            }

            var c = text[pos];
            if (c == '"')
            {
                pos++;
                return sb.ToString();
            }

            if (c == '\\')
            {
                var escapeAt = Here;
                pos++;
                if (pos >= text.Length)
                {
                    throw escapeAt.Error("unclosed string: input ends after '\\'");
                }

                var e = text[pos++];
                switch (e)
                {
                    case '"': sb.Append('"'); break;
                    case '\\': sb.Append('\\'); break;
                    case '/': sb.Append('/'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'n': sb.Append('\n'); break;
                    case 'r': sb.Append('\r'); break;
                    case 't': sb.Append('\t'); break;
                    case 'u':
                        if (pos + 4 > text.Length
                            || !int.TryParse(text.AsSpan(pos, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
                        {
                            throw escapeAt.Error("bad escape '\\u': expected four hexadecimal digits");
                        }

                        sb.Append((char)code);
                        pos += 4;
                        break;
                    default:
                        throw escapeAt.Error($"bad escape '\\{e}' in string; expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX");
                }

                continue;
            }

            // JSON strings (and so HOCON's quoted ones) may not hold a raw control character, tab included.
            if (c < 0x20)
            {
                var escape = c switch { '\t' => "\\t", '\r' => "\\r", '\b' => "\\b", '\f' => "\\f", _ => $"\\u{(int)c:X4}" };
                throw Here.Error($"control character U+{(int)c:X4} in a quoted string; write it as {escape} (or use a \"\"\" string)");
            }

            sb.Append(c);
            pos++;
        }
    }

    private Token ReadTripleQuoted(SourcePosition start)
    {
        pos += 3;
        var from = pos;
        while (true)
        {
            if (pos + 3 > text.Length)
            {
                throw start.Error("unclosed triple-quoted string: expected a closing '\"\"\"'");
            }

            if (text[pos] == '"' && text[pos + 1] == '"' && text[pos + 2] == '"')
            {
                // Quotes beyond the closing three belong to the string (HOCON.md, "Multi-line strings").
                var end = pos + 3;
                while (end < text.Length && text[end] == '"')
                {
                    end++;
                }

                var value = text[from..(end - 3)];
                CountLines(from, end);
                pos = end;
                return new Token(TokenKind.QuotedString, value, start);
            }

            pos++;
        }
    }

    private void CountLines(int from, int to)
    {
        for (var i = from; i < to; i++)
        {
            if (text[i] == '\n')
            {
                line++;
                lineStart = i + 1;
            }
        }
    }

    private Token ReadSubstitution(SourcePosition start)
    {
        if (pos + 1 >= text.Length || text[pos + 1] != '{')
        {
            throw start.Error("'$' is not allowed in unquoted text; substitutions are written ${path}");
        }

        pos += 2;
        var optional = false;
        if (pos < text.Length && text[pos] == '?')
        {
            optional = true;
            pos++;
        }

        var pieces = new List<(string Text, bool Quoted)>();
        var display = new StringBuilder();
        var plain = new StringBuilder();
        while (true)
        {
            if (pos >= text.Length || text[pos] == '\n')
            {
                throw start.Error("unclosed substitution: expected '}'");
            }

            var c = text[pos];
            if (c == '}')
            {
                pos++;
                break;
            }

            if (c == '"')
            {
                if (plain.Length > 0)
                {
                    pieces.Add((plain.ToString(), false));
                    plain.Clear();
                }

                var quoteAt = Here;
                pos++;
                var q = ReadQuotedBody(quoteAt);
                pieces.Add((q, true));
                display.Append('"').Append(q).Append('"');
                continue;
            }

            if (c != '.' && !IsWhitespace(c) && !IsUnquotedChar(pos))
            {
                throw Here.Error($"'{c}' is not allowed in a substitution path; quote the key");
            }

            plain.Append(c);
            display.Append(c);
            pos++;
        }

        if (plain.Length > 0)
        {
            pieces.Add((plain.ToString(), false));
        }

        var shown = display.ToString().Trim();
        var path = HoconPath.Split(pieces, shown, start);
        return new Token(TokenKind.Substitution, shown, start) { Path = path, Optional = optional };
    }
}
