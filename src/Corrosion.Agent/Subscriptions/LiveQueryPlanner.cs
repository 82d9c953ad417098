using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Subscriptions;

/// <summary>
/// Decides, per live query and per table it reads, whether a change can be evaluated by key or must
/// re-run the query, and records why. A table's changes are evaluated by key when the result carries
/// (part of) its primary key unchanged on every row it contributes to, so that filtering the query's
/// result on those columns for the changed keys yields exactly the rows to replace: the table is a
/// plain item of the top-level FROM, appears once, is read nowhere else (no subquery), is not on the
/// NULL side of an outer join, and, in an aggregate, the key columns are GROUP BY terms. Window
/// functions, compound SELECTs, WITH clauses, subqueries in FROM, aggregates without GROUP BY, LIMIT
/// without ORDER BY and OFFSET re-run the query. Sans-IO: SQL text and column metadata in, a plan out.
/// </summary>
internal static class LiveQueryPlanner
{
    private const int MaxSharedSets = 1024;

    // Plans of equal column sets share one set, so a changed row checks it once for all the
    // subscriptions of one statement (ChangedRow.ColumnsAllIn); bounded, past that sets are not shared.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, HashSet<string>> SharedSets = new(StringComparer.Ordinal);

    /// <param name="sql">The subscribed statement.</param>
    /// <param name="columns">Its result columns with their origins (from an evaluation).</param>
    /// <param name="tables">Every replicated table it reads, with its primary-key columns.</param>
    /// <param name="keyColumns">The row identity columns (<see cref="RowIdentity.KeyColumns"/>).</param>
    public static LiveQueryPlan Plan(string sql, IReadOnlyList<LiveQueryColumn> columns, IReadOnlyDictionary<string, IReadOnlyList<string>> tables, IReadOnlyList<int> keyColumns)
    {
        var shape = SelectShape.Parse(sql);
        var whole = WholeQueryReason(shape);
        var plans = new Dictionary<string, TablePlan>(StringComparer.OrdinalIgnoreCase);
        foreach (var (table, pk) in tables)
        {
            plans[table] = whole is not null
                ? new TablePlan(table, null, "re-runs the query: " + whole)
                : PlanTable(shape, table, pk, columns, keyColumns);
        }

        var incremental = plans.Values.Count(p => p.Incremental);
        var strategy = incremental == 0 ? LiveQueryStrategy.FullRerun
            : shape.Limit ? LiveQueryStrategy.Window
            : incremental == plans.Count ? LiveQueryStrategy.Incremental
            : LiveQueryStrategy.Partial;
        var reason = whole is not null
            ? "every change re-runs the query: " + whole
            : string.Join("; ", plans.Values.OrderBy(p => p.Table, StringComparer.Ordinal).Select(p => $"{p.Table}: {p.Reason}"));
        if (strategy == LiveQueryStrategy.Window)
        {
            reason = "ORDER BY with LIMIT: a changed key that is in the window or now matches re-runs the query, others are skipped; " + reason;
        }

        return shape.Unsupported is null
            ? new LiveQueryPlan(strategy, reason, plans, columns.Count, shape.Text, shape.TextWithoutLimit, shape.OrderBy)
            : new LiveQueryPlan(strategy, reason, plans, columns.Count, sql, sql, Ordered: false);
    }

    private static string? WholeQueryReason(SelectShape shape)
    {
        if (shape.Unsupported is { } unsupported)
        {
            return unsupported;
        }

        if (shape.FromUnsupported is { } from)
        {
            return from;
        }

        if (shape.Window)
        {
            return "a window function depends on other rows";
        }

        if (shape.Aggregate && !shape.GroupBy)
        {
            return "an aggregate without GROUP BY folds every row into one";
        }

        if (shape.Limit && !shape.OrderBy)
        {
            return "LIMIT without ORDER BY picks arbitrary rows";
        }

        if (shape.Offset)
        {
            return "a change before the OFFSET shifts every row of the window";
        }

        return null;
    }

    private static TablePlan PlanTable(SelectShape shape, string table, IReadOnlyList<string> pk, IReadOnlyList<LiveQueryColumn> columns, IReadOnlyList<int> keyColumns)
    {
        TablePlan Rerun(string why) => new(table, null, "re-runs the query: " + why);

        var instances = shape.From.Where(f => !f.IsFunction && string.Equals(f.Name, table, StringComparison.OrdinalIgnoreCase)).ToList();
        if (instances.Count == 0)
        {
            return Rerun(shape.NamedInSubquery(table) ? "it is read inside a subquery" : "it is read only through a view");
        }

        if (instances.Count > 1)
        {
            return Rerun($"it appears {instances.Count} times in FROM");
        }

        if (shape.NamedInSubquery(table))
        {
            return Rerun("it is read inside a subquery");
        }

        if (instances[0].NullSupplying)
        {
            return Rerun("it is on the NULL side of an outer join");
        }

        // The first result column carrying each primary-key column, unchanged.
        var picked = new SortedDictionary<int, int>();
        for (var p = 0; p < pk.Count; p++)
        {
            for (var c = 0; c < columns.Count; c++)
            {
                var column = columns[c];
                if (column.IsPrimaryKey
                    && string.Equals(column.OriginTable, table, StringComparison.Ordinal)
                    && string.Equals(column.OriginColumn, pk[p], StringComparison.Ordinal)
                    && (!shape.Aggregate || shape.IsGroupingColumn(c)))
                {
                    picked[c] = p;
                    break;
                }
            }
        }

        if (picked.Count == 0)
        {
            return shape.Aggregate
                ? Rerun($"no GROUP BY term in the result is a primary-key column of it ({string.Join(", ", pk)}), so the groups a change leaves cannot be named")
                : Rerun($"its primary key ({string.Join(", ", pk)}) is not in the result");
        }

        // Rows are matched by identity; a group of equal identities must lie within one key.
        if (!picked.Keys.All(keyColumns.Contains))
        {
            return Rerun("its key columns are not part of the row identity");
        }

        var names = string.Join(", ", picked.Values.Select(p => pk[p]));
        var what = shape.Aggregate ? "the groups of" : picked.Count == pk.Count ? "the rows of" : "the rows sharing";
        var restriction = new TableRestriction(table, picked.Keys.ToArray(), picked.Values.ToArray());
        var resultOnly = ResultOnlyColumns(shape, restriction, pk.Count);
        var rowCells = WholeRowCells(shape, restriction, table, pk, columns);
        var reason = $"re-evaluates {what} the changed keys ({names})" + (rowCells is null ? string.Empty : "; a row whose every column is known is taken as it is");
        return new TablePlan(table, restriction, reason, resultOnly, resultOnly is null ? null : ResultOnlyPositions(resultOnly, table, columns), rowCells);
    }

    /// <summary>
    /// For a query that returns every row of its one table as stored (see <see cref="TablePlan.RowCells"/>),
    /// where each result cell comes from; null for any other query.
    /// </summary>
    private static List<(int PkPosition, string? Column)>? WholeRowCells(SelectShape shape, TableRestriction restriction, string table, IReadOnlyList<string> pk, IReadOnlyList<LiveQueryColumn> columns)
    {
        if (shape.From.Count != 1 || shape.Filtered || shape.Aggregate || shape.GroupBy || shape.Distinct || shape.Limit || shape.Window
            || !shape.PlainItems()
            || restriction.PkPositions.Length != pk.Count || restriction.PkPositions.Where((p, i) => p != i).Any())
        {
            return null;
        }

        var cells = new List<(int PkPosition, string? Column)>(columns.Count);
        foreach (var column in columns)
        {
            // SQLite names an origin only for a result column that is a table's column as stored.
            if (!string.Equals(column.OriginTable, table, StringComparison.Ordinal) || column.OriginColumn is not { } name)
            {
                return null;
            }

            var position = -1;
            for (var p = 0; p < pk.Count; p++)
            {
                if (string.Equals(pk[p], name, StringComparison.OrdinalIgnoreCase))
                {
                    position = p;
                    break;
                }
            }

            cells.Add(position >= 0 ? (position, null) : (-1, name));
        }

        return cells;
    }

    /// <summary>Where each result-only column's value appears in the result (by SQLite's origin metadata, given only for a plain column).</summary>
    private static Dictionary<string, int[]> ResultOnlyPositions(HashSet<string> resultOnly, string table, IReadOnlyList<LiveQueryColumn> columns)
    {
        var positions = new Dictionary<string, int[]>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in resultOnly)
        {
            var at = new List<int>();
            for (var c = 0; c < columns.Count; c++)
            {
                if (string.Equals(columns[c].OriginTable, table, StringComparison.Ordinal)
                    && string.Equals(columns[c].OriginColumn, name, StringComparison.OrdinalIgnoreCase))
                {
                    at.Add(c);
                }
            }

            if (at.Count > 0)
            {
                positions[name] = [.. at];
            }
        }

        return positions;
    }

    /// <summary>
    /// The columns of the one table of a plain single-table query (no join, aggregate, DISTINCT or
    /// LIMIT) that it uses only as plain result columns, when its restriction is the whole primary key
    /// in order (so "is this key's row in the result" is one lookup); null otherwise.
    /// </summary>
    private static HashSet<string>? ResultOnlyColumns(SelectShape shape, TableRestriction restriction, int pkCount)
    {
        if (shape.From.Count != 1 || shape.Aggregate || shape.Distinct || shape.Limit || shape.Window
            || restriction.PkPositions.Length != pkCount || restriction.PkPositions.Where((p, i) => p != i).Any())
        {
            return null;
        }

        var names = shape.PlainResultOnlyNames();
        return names.Count == 0 ? null : Interned(names);
    }

    private static HashSet<string> Interned(IReadOnlySet<string> names)
    {
        var key = string.Join("\0", names.Select(n => n.ToUpperInvariant()).Order(StringComparer.Ordinal));
        if (SharedSets.TryGetValue(key, out var shared))
        {
            return shared;
        }

        var set = new HashSet<string>(names, StringComparer.OrdinalIgnoreCase);
        return SharedSets.Count < MaxSharedSets ? SharedSets.GetOrAdd(key, set) : set;
    }
}
