namespace Corrosion.Agent.Subscriptions;

/// <summary>
/// The clause structure of one SELECT, read from its tokens without a full grammar: what the live
/// query planner needs to know (FROM items and outer joins, aggregates, DISTINCT, GROUP BY terms,
/// ORDER BY, LIMIT, names read inside subqueries). Anything it does not understand sets
/// <see cref="Unsupported"/>, and the planner then re-runs the whole query: a misreading can only
/// make evaluation more conservative.
/// </summary>
internal sealed class SelectShape
{
    private static readonly HashSet<string> AggregateFunctions = new(StringComparer.OrdinalIgnoreCase)
    {
        "count", "sum", "total", "avg", "min", "max", "group_concat", "string_agg", "json_group_array", "json_group_object",
        "jsonb_group_array", "jsonb_group_object", "median", "percentile", "percentile_cont", "percentile_disc", "mode",
    };

    private static readonly HashSet<string> JoinWords = new(StringComparer.OrdinalIgnoreCase) { "JOIN", "NATURAL", "LEFT", "RIGHT", "FULL", "INNER", "CROSS", "OUTER" };

    private static readonly HashSet<string> ClauseWords = new(StringComparer.OrdinalIgnoreCase) { "FROM", "WHERE", "GROUP", "HAVING", "WINDOW", "ORDER", "LIMIT", "UNION", "INTERSECT", "EXCEPT" };

    private static readonly HashSet<string> NotAliases = new(StringComparer.OrdinalIgnoreCase)
    {
        "ON", "USING", "WHERE", "GROUP", "HAVING", "WINDOW", "ORDER", "LIMIT", "INDEXED", "NOT", "UNION", "INTERSECT", "EXCEPT",
        "END", "NULL", "TRUE", "FALSE", "CURRENT_TIME", "CURRENT_DATE", "CURRENT_TIMESTAMP", "DESC", "ASC",
    };

    private readonly List<SqlToken> _tokens;
    private readonly List<FromTable> _from = [];
    private readonly List<ResultItem> _items = [];
    private readonly List<(int Start, int End)> _groupBy = [];
    private readonly HashSet<string> _subqueryNames = new(StringComparer.OrdinalIgnoreCase);
    private int _end;

    private SelectShape(string sql)
    {
        Sql = sql;
        try
        {
            _tokens = SqlTokenizer.Tokenize(sql);
        }
        catch (FormatException e)
        {
            _tokens = [];
            Unsupported = e.Message;
            return;
        }

        Unsupported = Parse();
    }

    /// <summary>The statement text.</summary>
    public string Sql { get; }

    /// <summary>Why the statement could not be analysed, or null when it was.</summary>
    public string? Unsupported { get; }

    /// <summary>SELECT DISTINCT.</summary>
    public bool Distinct { get; private set; }

    /// <summary>The top-level FROM items, in order.</summary>
    public IReadOnlyList<FromTable> From => _from;

    /// <summary>Why the FROM clause holds something other than plain tables and table functions (a subquery, a parenthesised join), or null.</summary>
    public string? FromUnsupported { get; private set; }

    /// <summary>An aggregate function is called outside any subquery, or there is a GROUP BY.</summary>
    public bool Aggregate { get; private set; }

    /// <summary>A window function (<c>OVER</c>) is used outside any subquery.</summary>
    public bool Window { get; private set; }

    /// <summary>A GROUP BY clause is present.</summary>
    public bool GroupBy => _groupBy.Count > 0;

    /// <summary>A top-level WHERE or HAVING is present: the query may leave out rows of its table.</summary>
    public bool Filtered { get; private set; }

    /// <summary>A top-level ORDER BY is present.</summary>
    public bool OrderBy { get; private set; }

    /// <summary>A top-level LIMIT is present.</summary>
    public bool Limit { get; private set; }

    /// <summary>The LIMIT has an OFFSET (<c>OFFSET n</c> or <c>LIMIT n, m</c>).</summary>
    public bool Offset { get; private set; }

    /// <summary>Offset in <see cref="Sql"/> where the statement's text starts.</summary>
    public int TextStart => _tokens.Count > 0 ? _tokens[0].Start : 0;

    /// <summary>Offset just after the statement's last token (trailing semicolons and comments excluded).</summary>
    public int TextEnd => _end > 0 ? _tokens[_end - 1].End : 0;

    /// <summary>Offset of the top-level LIMIT keyword, or -1.</summary>
    public int LimitStart { get; private set; } = -1;

    /// <summary>The statement text without trailing semicolons and comments.</summary>
    public string Text => Sql[TextStart..TextEnd];

    /// <summary>The statement text without its top-level LIMIT clause (the whole text when there is none).</summary>
    public string TextWithoutLimit => LimitStart < 0 ? Text : Sql[TextStart..LimitStart].TrimEnd();

    /// <summary>True when <paramref name="table"/>'s name appears anywhere inside a subquery (conservatively: any name token equal to it).</summary>
    public bool NamedInSubquery(string table) => _subqueryNames.Contains(table);

    /// <summary>
    /// The names that appear in the statement only as plain result columns (<c>col</c> or
    /// <c>alias.col</c>, with or without an alias of their own) and nowhere else: not in WHERE, ON,
    /// GROUP BY, ORDER BY, a subquery, an expression, or as an alias or qualifier. A column so named
    /// can change a result row's cells but not which rows the query returns. Empty when the statement
    /// could not be analysed. Case-insensitive, compared as SQLite resolves names.
    /// </summary>
    public IReadOnlySet<string> PlainResultOnlyNames()
    {
        var plain = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (Unsupported is not null)
        {
            return plain;
        }

        // Positions of the column token of each plain result item.
        var plainPositions = new HashSet<int>();
        foreach (var item in _items)
        {
            var length = item.ExpressionEnd - item.Start;
            if (!item.Star && length == 1 && _tokens[item.Start].IsName)
            {
                plainPositions.Add(item.Start);
            }
            else if (!item.Star && length == 3 && _tokens[item.Start].IsName && _tokens[item.Start + 1].IsSymbol(".") && _tokens[item.Start + 2].IsName)
            {
                plainPositions.Add(item.Start + 2);
            }
        }

        var elsewhere = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < _tokens.Count; i++)
        {
            if (_tokens[i].IsName)
            {
                (plainPositions.Contains(i) ? plain : elsewhere).Add(_tokens[i].Text);
            }
        }

        plain.ExceptWith(elsewhere);
        return plain;
    }

    /// <summary>
    /// True when every result item is <c>*</c>, <c>t.*</c>, a column name or <c>alias.column</c> (with or
    /// without an alias of its own): each result cell is a stored value as it is. False when the
    /// statement could not be analysed.
    /// </summary>
    public bool PlainItems()
    {
        if (Unsupported is not null || _items.Count == 0)
        {
            return false;
        }

        foreach (var item in _items)
        {
            var length = item.ExpressionEnd - item.Start;
            var plain = item.Star
                || (length == 1 && _tokens[item.Start].IsName)
                || (length == 3 && _tokens[item.Start].IsName && _tokens[item.Start + 1].IsSymbol(".") && _tokens[item.Start + 2].IsName);
            if (!plain)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Parses <paramref name="sql"/>; never throws for bad SQL (see <see cref="Unsupported"/>).</summary>
    public static SelectShape Parse(string sql) => new(sql);

    /// <summary>
    /// True when the result column at <paramref name="column"/> is, as written, one of the GROUP BY
    /// terms (the same expression, or its 1-based position), so its value is the same on every row of
    /// a group. False when it cannot be told (a <c>*</c> in the select list).
    /// </summary>
    public bool IsGroupingColumn(int column)
    {
        if (_items.Any(i => i.Star) || column < 0 || column >= _items.Count)
        {
            return false;
        }

        var item = _items[column];
        foreach (var (start, end) in _groupBy)
        {
            if (end - start == 1 && _tokens[start].Kind == SqlTokenKind.Number && _tokens[start].Text == (column + 1).ToString(System.Globalization.CultureInfo.InvariantCulture))
            {
                return true;
            }

            if (SameTokens(start, end, item.Start, item.ExpressionEnd))
            {
                return true;
            }
        }

        return false;
    }

    private string? Parse()
    {
        _end = _tokens.Count;
        while (_end > 0 && _tokens[_end - 1].IsSymbol(";"))
        {
            _end--;
        }

        if (_end == 0)
        {
            return "an empty statement";
        }

        if (_tokens[0].Is("WITH"))
        {
            return "a WITH clause (common table expressions are not analysed)";
        }

        if (!_tokens[0].Is("SELECT"))
        {
            return "not a plain SELECT";
        }

        // Whole-statement pass: subqueries, aggregates and window functions outside subqueries.
        if (ScanRange(0, _end, inSubquery: false) is { } problem)
        {
            return problem;
        }

        var i = 1;
        if (i < _end && (_tokens[i].Is("DISTINCT") || _tokens[i].Is("ALL")))
        {
            Distinct = _tokens[i].Is("DISTINCT");
            i++;
        }

        var listEnd = NextClause(i);
        SplitItems(i, listEnd);
        i = listEnd;
        while (i < _end)
        {
            var token = _tokens[i];
            var clauseEnd = NextClause(i + 1);
            if (token.Is("FROM"))
            {
                ParseFrom(i + 1, clauseEnd);
            }
            else if (token.Is("GROUP"))
            {
                if (!(i + 1 < clauseEnd && _tokens[i + 1].Is("BY")))
                {
                    return "GROUP without BY";
                }

                Aggregate = true;
                SplitTerms(i + 2, clauseEnd, _groupBy);
            }
            else if (token.Is("ORDER"))
            {
                OrderBy = true;
            }
            else if (token.Is("WHERE") || token.Is("HAVING"))
            {
                Filtered = true;
            }
            else if (token.Is("LIMIT"))
            {
                Limit = true;
                LimitStart = token.Start;
                Offset = Enumerable.Range(i + 1, clauseEnd - i - 1).Any(k => Depth0(k) && (_tokens[k].Is("OFFSET") || _tokens[k].IsSymbol(",")));
            }
            else if (token.Is("UNION") || token.Is("INTERSECT") || token.Is("EXCEPT"))
            {
                return "a compound SELECT (" + token.Text.ToUpperInvariant() + ")";
            }
            else if (token.Is("WINDOW"))
            {
                Window = true;
            }

            i = clauseEnd;
        }

        return null;
    }

    // Tokens at depth 0 are found by walking with ScanRange's matching-parenthesis table.
    private Dictionary<int, int> _close = [];

    private bool Depth0(int index)
    {
        foreach (var (open, close) in _close)
        {
            if (index > open && index < close)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Index of the next depth-0 clause keyword at or after <paramref name="from"/>, or the end.</summary>
    private int NextClause(int from)
    {
        var i = from;
        while (i < _end)
        {
            if (_tokens[i].IsSymbol("("))
            {
                i = _close[i] + 1;
                continue;
            }

            if (_tokens[i].Kind == SqlTokenKind.Word && ClauseWords.Contains(_tokens[i].Text))
            {
                return i;
            }

            i++;
        }

        return _end;
    }

    /// <summary>Walks tokens, matching parentheses, collecting names inside subqueries and spotting aggregate and window calls outside them.</summary>
    private string? ScanRange(int from, int to, bool inSubquery)
    {
        var i = from;
        while (i < to)
        {
            var token = _tokens[i];
            if (token.IsSymbol(")"))
            {
                return "unbalanced parentheses";
            }

            if (inSubquery && token.IsName)
            {
                _subqueryNames.Add(token.Text);
            }

            if (!inSubquery && token.Kind == SqlTokenKind.Word)
            {
                if (token.Is("OVER"))
                {
                    Window = true;
                }
                else if (i + 1 < to && _tokens[i + 1].IsSymbol("(") && AggregateFunctions.Contains(token.Text))
                {
                    // min(a, b) and max(a, b) with several arguments are scalar functions.
                    Aggregate |= !(token.Is("min") || token.Is("max")) || !HasTopLevelComma(i + 1);
                }
            }

            if (token.IsSymbol("("))
            {
                var close = Match(i, to);
                if (close < 0)
                {
                    return "unbalanced parentheses";
                }

                _close[i] = close;
                var subquery = inSubquery || (i + 1 < close && (_tokens[i + 1].Is("SELECT") || _tokens[i + 1].Is("WITH") || _tokens[i + 1].Is("VALUES")));
                if (ScanRange(i + 1, close, subquery) is { } problem)
                {
                    return problem;
                }

                i = close + 1;
                continue;
            }

            i++;
        }

        return null;
    }

    private int Match(int open, int to)
    {
        var depth = 0;
        for (var i = open; i < to; i++)
        {
            if (_tokens[i].IsSymbol("("))
            {
                depth++;
            }
            else if (_tokens[i].IsSymbol(")") && --depth == 0)
            {
                return i;
            }
        }

        return -1;
    }

    private bool HasTopLevelComma(int open)
    {
        var close = Match(open, _end);
        for (var i = open + 1; i < close; i++)
        {
            if (_tokens[i].IsSymbol("("))
            {
                i = Match(i, close);
                continue;
            }

            if (_tokens[i].IsSymbol(","))
            {
                return true;
            }
        }

        return false;
    }

    private void SplitTerms(int from, int to, List<(int Start, int End)> into)
    {
        var start = from;
        for (var i = from; i < to; i++)
        {
            if (_tokens[i].IsSymbol("("))
            {
                i = _close[i];
                continue;
            }

            if (_tokens[i].IsSymbol(","))
            {
                into.Add((start, i));
                start = i + 1;
            }
        }

        if (start < to)
        {
            into.Add((start, to));
        }
    }

    private void SplitItems(int from, int to)
    {
        var terms = new List<(int Start, int End)>();
        SplitTerms(from, to, terms);
        foreach (var (start, end) in terms)
        {
            var length = end - start;
            var star = _tokens[end - 1].IsSymbol("*") && (length == 1 || (length == 3 && _tokens[start + 1].IsSymbol(".")));
            var expressionEnd = end;
            if (!star && length >= 2 && IsAliasToken(_tokens[end - 1]))
            {
                var before = _tokens[end - 2];
                if (before.Is("AS"))
                {
                    expressionEnd = end - 2;
                }
                else if (before.IsSymbol(")") || before.IsName || before.Kind is SqlTokenKind.Number or SqlTokenKind.String)
                {
                    expressionEnd = end - 1;
                }
            }

            _items.Add(new ResultItem(start, expressionEnd, star));
        }
    }

    private static bool IsAliasToken(SqlToken token) =>
        token.Kind is SqlTokenKind.QuotedIdentifier or SqlTokenKind.String || (token.Kind == SqlTokenKind.Word && !NotAliases.Contains(token.Text));

    private void ParseFrom(int from, int to)
    {
        var i = from;
        var nullSupplying = false;
        while (i < to)
        {
            if (_tokens[i].IsSymbol("("))
            {
                FromUnsupported ??= "a subquery or parenthesised join in FROM";
                i = _close[i] + 1;
            }
            else if (_tokens[i].IsName)
            {
                var name = _tokens[i].Text;
                i++;
                if (i + 1 < to && _tokens[i].IsSymbol(".") && _tokens[i + 1].IsName)
                {
                    name = _tokens[i + 1].Text;
                    i += 2;
                }

                var function = i < to && _tokens[i].IsSymbol("(");
                if (function)
                {
                    i = _close[i] + 1;
                }

                _from.Add(new FromTable(name, function, nullSupplying));
            }
            else
            {
                FromUnsupported ??= $"unexpected '{_tokens[i].Text}' in FROM";
                return;
            }

            // Alias, index hints and the join constraint run up to the next join operator.
            while (i < to && !_tokens[i].IsSymbol(",") && !(_tokens[i].Kind == SqlTokenKind.Word && JoinWords.Contains(_tokens[i].Text)))
            {
                i = _tokens[i].IsSymbol("(") ? _close[i] + 1 : i + 1;
            }

            if (i >= to)
            {
                return;
            }

            if (_tokens[i].IsSymbol(","))
            {
                nullSupplying = false;
                i++;
                continue;
            }

            var left = false;
            var right = false;
            while (i < to && !_tokens[i].Is("JOIN"))
            {
                left |= _tokens[i].Is("LEFT") || _tokens[i].Is("FULL");
                right |= _tokens[i].Is("RIGHT") || _tokens[i].Is("FULL");
                if (!(_tokens[i].Kind == SqlTokenKind.Word && JoinWords.Contains(_tokens[i].Text)))
                {
                    FromUnsupported ??= $"unexpected '{_tokens[i].Text}' in a join";
                    return;
                }

                i++;
            }

            i++;
            if (right)
            {
                // Everything joined so far may be paired with NULLs.
                for (var k = 0; k < _from.Count; k++)
                {
                    _from[k] = _from[k] with { NullSupplying = true };
                }
            }

            nullSupplying = left;
        }
    }

    private bool SameTokens(int aStart, int aEnd, int bStart, int bEnd)
    {
        if (aEnd - aStart != bEnd - bStart)
        {
            return false;
        }

        for (var k = 0; k < aEnd - aStart; k++)
        {
            var a = _tokens[aStart + k];
            var b = _tokens[bStart + k];
            var same = a.IsName && b.IsName
                ? string.Equals(a.Text, b.Text, StringComparison.OrdinalIgnoreCase)
                : a.Kind == b.Kind && a.Text == b.Text;
            if (!same)
            {
                return false;
            }
        }

        return true;
    }

    private readonly record struct ResultItem(int Start, int ExpressionEnd, bool Star);
}
