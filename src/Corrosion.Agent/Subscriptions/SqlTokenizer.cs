namespace Corrosion.Agent.Subscriptions;

/// <summary>
/// Splits SQLite SQL into tokens (comments and whitespace dropped), following SQLite's lexical rules
/// closely enough to find clause boundaries and names; the statement itself is still compiled by
/// SQLite, so a text this reads wrongly is only planned more conservatively, never run differently.
/// </summary>
internal static class SqlTokenizer
{
    /// <summary>The tokens of <paramref name="sql"/>; throws <see cref="FormatException"/> on an unterminated quote or comment.</summary>
    public static List<SqlToken> Tokenize(string sql)
    {
        ArgumentNullException.ThrowIfNull(sql);
        var tokens = new List<SqlToken>();
        var i = 0;
        while (i < sql.Length)
        {
            var c = sql[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }

            var start = i;
            if (c == '-' && At(sql, i + 1) == '-')
            {
                var end = sql.IndexOf('\n', i);
                i = end < 0 ? sql.Length : end + 1;
                continue;
            }

            if (c == '/' && At(sql, i + 1) == '*')
            {
                var end = sql.IndexOf("*/", i + 2, StringComparison.Ordinal);
                // SQLite accepts a block comment left open at the end of the text.
                i = end < 0 ? sql.Length : end + 2;
                continue;
            }

            if (c is '\'')
            {
                i = Quoted(sql, i, '\'');
                tokens.Add(new SqlToken(SqlTokenKind.String, sql[start..i], start, i));
            }
            else if (c is '"' or '`')
            {
                i = Quoted(sql, i, c);
                var doubled = new string(c, 2);
                tokens.Add(new SqlToken(SqlTokenKind.QuotedIdentifier, sql[(start + 1)..(i - 1)].Replace(doubled, c.ToString(), StringComparison.Ordinal), start, i));
            }
            else if (c == '[')
            {
                var end = sql.IndexOf(']', i + 1);
                if (end < 0)
                {
                    throw new FormatException("unterminated [identifier]");
                }

                i = end + 1;
                tokens.Add(new SqlToken(SqlTokenKind.QuotedIdentifier, sql[(start + 1)..end], start, i));
            }
            else if (c is 'x' or 'X' && At(sql, i + 1) == '\'')
            {
                i = Quoted(sql, i + 1, '\'');
                tokens.Add(new SqlToken(SqlTokenKind.Blob, sql[start..i], start, i));
            }
            else if (char.IsAsciiDigit(c) || (c == '.' && char.IsAsciiDigit(At(sql, i + 1))))
            {
                i = Number(sql, i);
                tokens.Add(new SqlToken(SqlTokenKind.Number, sql[start..i], start, i));
            }
            else if (IsWordStart(c))
            {
                while (i < sql.Length && IsWordPart(sql[i]))
                {
                    i++;
                }

                tokens.Add(new SqlToken(SqlTokenKind.Word, sql[start..i], start, i));
            }
            else if (c == '?')
            {
                i++;
                while (i < sql.Length && char.IsAsciiDigit(sql[i]))
                {
                    i++;
                }

                tokens.Add(new SqlToken(SqlTokenKind.Parameter, sql[start..i], start, i));
            }
            else if (c is ':' or '@' or '$' && i + 1 < sql.Length && IsWordPart(sql[i + 1]))
            {
                i++;
                while (i < sql.Length && (IsWordPart(sql[i]) || sql[i] == ':'))
                {
                    i++;
                }

                tokens.Add(new SqlToken(SqlTokenKind.Parameter, sql[start..i], start, i));
            }
            else
            {
                i += SymbolLength(sql, i);
                tokens.Add(new SqlToken(SqlTokenKind.Symbol, sql[start..i], start, i));
            }
        }

        return tokens;
    }

    private static char At(string sql, int i) => i < sql.Length ? sql[i] : '\0';

    private static bool IsWordStart(char c) => char.IsAsciiLetter(c) || c == '_' || c > 0x7F;

    private static bool IsWordPart(char c) => IsWordStart(c) || char.IsAsciiDigit(c) || c == '$';

    /// <summary>Skips a quoted run starting at the opening quote; a doubled quote stands for itself.</summary>
    private static int Quoted(string sql, int i, char quote)
    {
        i++;
        while (i < sql.Length)
        {
            if (sql[i] == quote)
            {
                if (At(sql, i + 1) == quote)
                {
                    i += 2;
                    continue;
                }

                return i + 1;
            }

            i++;
        }

        throw new FormatException($"unterminated {quote}quoted{quote} text");
    }

    private static int Number(string sql, int i)
    {
        if (sql[i] == '0' && At(sql, i + 1) is 'x' or 'X')
        {
            i += 2;
            while (i < sql.Length && (char.IsAsciiHexDigit(sql[i]) || sql[i] == '_'))
            {
                i++;
            }

            return i;
        }

        while (i < sql.Length && (char.IsAsciiDigit(sql[i]) || sql[i] is '.' or '_'))
        {
            i++;
        }

        if (At(sql, i) is 'e' or 'E' && (char.IsAsciiDigit(At(sql, i + 1)) || (At(sql, i + 1) is '+' or '-' && char.IsAsciiDigit(At(sql, i + 2)))))
        {
            i += 2;
            while (i < sql.Length && char.IsAsciiDigit(sql[i]))
            {
                i++;
            }
        }

        return i;
    }

    private static int SymbolLength(string sql, int i)
    {
        var two = i + 1 < sql.Length ? sql.Substring(i, 2) : string.Empty;
        if (two == "->" && At(sql, i + 2) == '>')
        {
            return 3;
        }

        return two is "||" or "<=" or ">=" or "==" or "!=" or "<>" or "<<" or ">>" or "->" ? 2 : 1;
    }
}
