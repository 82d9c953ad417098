using System.Diagnostics;
using System.Runtime.CompilerServices;
using SQLitePCL;

namespace Corrosion.Agent.Storage;

public sealed partial class CrdtStore
{
    // Keyed live-query statements, prepared once per read connection (a connection the pool replaces takes its cache along).
    private readonly ConditionalWeakTable<sqlite3, LiveStatementCache> _liveStatements = new();

    // Action codes of sqlite3_set_authorizer (sqlite3.h) a plain SELECT compiles to.
    private const int SqliteReadAction = 20;
    private const int SqliteSelectAction = 21;
    private const int SqliteFunctionAction = 31;
    private const int SqliteRecursiveAction = 33;

    /// <summary>
    /// Runs one read-only statement for a live query on a pooled read connection, compiled under an
    /// authorizer that records every table the statement reads (SQLite tells it, no SQL is parsed
    /// here) and refuses anything but reads of replicated tables. Returns the rows with each result
    /// column's origin, so callers can tell which cells identify a row. Thread-safe.
    /// </summary>
    /// <exception cref="NotReadOnlyException">The statement would write; nothing ran.</exception>
    /// <exception cref="SqlException">Invalid SQL or parameters, or a read of a table that is not replicated.</exception>
    internal LiveQueryResult EvaluateLiveQuery(Statement statement) => EvaluateLiveQuery(statement, LiveQueryTimeout);

    /// <summary>
    /// True when two equal primary keys of <paramref name="table"/> are always spelt alike, so a
    /// merged change's key (as its origin stored it) is the key as stored here: no COLLATE anywhere in
    /// the table's definition (a NOCASE key matches other spellings) and every key column of INTEGER,
    /// TEXT or REAL affinity (which store one spelling of a number; BLOB and NUMERIC affinity keep 1
    /// and 1.0 apart while they compare equal). False for a table that is not replicated. Thread-safe.
    /// </summary>
    internal bool KeysSpeltAlike(string table) =>
        _tables.TryGetValue(table, out var crr)
        && !crr.Schema.Sql.Contains("COLLATE", StringComparison.OrdinalIgnoreCase)
        && crr.Schema.PkColumns.All(static c => Affinity(c.Type) is "INTEGER" or "TEXT" or "REAL");

    /// <summary>A declared type's affinity, by SQLite's rules (datatype3.html §3.1).</summary>
    private static string Affinity(string declared)
    {
        var type = declared.ToUpperInvariant();
        return type.Contains("INT", StringComparison.Ordinal) ? "INTEGER"
            : type.Contains("CHAR", StringComparison.Ordinal) || type.Contains("CLOB", StringComparison.Ordinal) || type.Contains("TEXT", StringComparison.Ordinal) ? "TEXT"
            : type.Length == 0 || type.Contains("BLOB", StringComparison.Ordinal) ? "BLOB"
            : type.Contains("REAL", StringComparison.Ordinal) || type.Contains("FLOA", StringComparison.Ordinal) || type.Contains("DOUB", StringComparison.Ordinal) ? "REAL"
            : "NUMERIC";
    }

    /// <summary>Longest a live query's evaluation may run: it holds up the subscription service, and runs again on every change.</summary>
    internal static readonly TimeSpan LiveQueryTimeout = TimeSpan.FromSeconds(10);

    /// <inheritdoc cref="EvaluateLiveQuery(Statement)"/>
    internal LiveQueryResult EvaluateLiveQuery(Statement statement, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(statement);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var connection = _readers.Rent(ReadWait);
        try
        {
            return WithinDeadline(connection.Handle!, timeout, () => EvaluateLiveQuery(connection.Handle!, statement));
        }
        finally
        {
            _readers.Return(connection);
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> with a reader whose statements all see one snapshot (one read
    /// transaction on one pooled connection). Thread-safe; the reader is valid only inside the call.
    /// </summary>
    internal T ReadLiveQueries<T>(Func<ILiveQueryReader, T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var connection = _readers.Rent(ReadWait);
        var handle = connection.Handle!;
        try
        {
            NativeStatement.Exec(handle, "BEGIN");
            return WithinDeadline(handle, LiveQueryTimeout, () => work(new SnapshotReader(this, handle)));
        }
        finally
        {
            if (raw.sqlite3_get_autocommit(handle) == 0)
            {
                NativeStatement.Exec(handle, "ROLLBACK");
            }

            _readers.Return(connection);
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> with SQLite interrupted once <paramref name="timeout"/> has passed
    /// (an endless recursive query would otherwise hold the subscription service forever).
    /// </summary>
    private static T WithinDeadline<T>(sqlite3 handle, TimeSpan timeout, Func<T> work)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        var interrupted = false;
        delegate_progress progress = _ =>
        {
            interrupted |= Stopwatch.GetTimestamp() > deadline;
            return interrupted ? 1 : 0;
        };
        raw.sqlite3_progress_handler(handle, 1000, progress, null);
        try
        {
            return work();
        }
        catch (SqlException e) when (interrupted)
        {
            throw new SqlException($"the live query ran longer than {timeout.TotalSeconds:0.###} s and was stopped; a live query must be quick, it runs again on every change", e);
        }
        finally
        {
            raw.sqlite3_progress_handler(handle, 0, null, null);
            GC.KeepAlive(progress);
        }
    }

    private LiveQueryResult EvaluateLiveQuery(sqlite3 handle, Statement statement)
    {
        var tables = new SortedSet<string>(StringComparer.Ordinal);
        string? refusal = null;
        delegate_authorizer authorizer = (_, action, param0, _, dbName, _) =>
        {
            switch (action)
            {
                case SqliteSelectAction or SqliteFunctionAction or SqliteRecursiveAction:
                    return raw.SQLITE_OK;
                case SqliteReadAction:
                    var table = param0.utf8_to_string() ?? string.Empty;
                    var database = dbName.utf8_to_string();
                    if (database is not null && database != "main")
                    {
                        refusal ??= $"a live query may read only the main database, not {database}.{table}";
                        return raw.SQLITE_DENY;
                    }

                    if (!_tables.TryGetValue(table, out var crr))
                    {
                        refusal ??= $"a live query may read only replicated tables; {table} is not one";
                        return raw.SQLITE_DENY;
                    }

                    tables.Add(crr.Name);
                    return raw.SQLITE_OK;
                default:
                    refusal ??= "a live query must be one read-only SELECT";
                    return raw.SQLITE_DENY;
            }
        };

        NativeStatement? stmt = null;
        try
        {
            raw.sqlite3_set_authorizer(handle, authorizer, null);
            try
            {
                stmt = NativeStatement.Prepare(handle, statement.Sql);
            }
            catch (SqlException) when (refusal is not null)
            {
                throw new SqlException(refusal);
            }
            finally
            {
                // The connection goes back to the pool for ordinary queries, which run unchecked.
                raw.sqlite3_set_authorizer(handle, (delegate_authorizer?)null, null);
                GC.KeepAlive(authorizer);
            }

            if (!stmt.IsReadOnly)
            {
                throw new NotReadOnlyException("only read-only statements can be subscribed to");
            }

            if (refusal is not null)
            {
                throw new SqlException(refusal);
            }

            if (tables.Count == 0)
            {
                throw new SqlException("a live query must read at least one replicated table");
            }

            BindParameters(stmt, statement, strict: true);
            var columnCount = stmt.ColumnCount;
            var columns = new LiveQueryColumn[columnCount];
            for (var i = 0; i < columnCount; i++)
            {
                var originTable = raw.sqlite3_column_table_name(stmt.Handle, i).utf8_to_string();
                var originColumn = raw.sqlite3_column_origin_name(stmt.Handle, i).utf8_to_string();
                var isPk = false;
                if (originTable is not null && originColumn is not null && _tables.TryGetValue(originTable, out var crr))
                {
                    // Names as declared, so origins compare with the table list below.
                    originTable = crr.Name;
                    var pk = crr.PkNames.FirstOrDefault(p => string.Equals(p, originColumn, StringComparison.OrdinalIgnoreCase));
                    isPk = pk is not null;
                    originColumn = pk ?? originColumn;
                }

                columns[i] = new LiveQueryColumn(stmt.ColumnName(i), originTable, originColumn, isPk);
            }

            var keys = tables.ToDictionary(t => t, t => _tables[t].PkNames, StringComparer.Ordinal);
            return new LiveQueryResult(columns, keys, ReadAll(stmt));
        }
        finally
        {
            stmt?.Dispose();
        }
    }

    private List<SqlValue[]> ReadRows(sqlite3 handle, Statement statement)
    {
        using var stmt = NativeStatement.Prepare(handle, statement.Sql);
        if (!stmt.IsReadOnly)
        {
            throw new NotReadOnlyException("only read-only statements can be evaluated");
        }

        BindParameters(stmt, statement, strict: false);
        return ReadAll(stmt);
    }

    /// <summary>Steps a bound statement to its end and returns every row.</summary>
    private static List<SqlValue[]> ReadAll(NativeStatement stmt)
    {
        var columnCount = stmt.ColumnCount;
        var rows = new List<SqlValue[]>();
        while (stmt.Step())
        {
            var cells = new SqlValue[columnCount];
            for (var i = 0; i < columnCount; i++)
            {
                cells[i] = stmt.GetValue(i);
            }

            rows.Add(cells);
        }

        return rows;
    }

    /// <summary>
    /// Runs a keyed statement (<paramref name="sql"/>, whose key parameters start at
    /// <paramref name="firstKeyParameter"/> and follow the statement's own) prepared once per read
    /// connection and kept, binding the statement's own parameters and then <paramref name="keys"/>,
    /// the last key repeated into the unused slots.
    /// </summary>
    private List<SqlValue[]> ReadKeyedRows(sqlite3 handle, Statement statement, string sql, string firstKeyParameter, IReadOnlyList<SqlValue[]> keys, int slots)
    {
        var stmt = _liveStatements.GetValue(handle, static _ => new LiveStatementCache()).Get(handle, sql);
        try
        {
            var first = stmt.ParameterIndex(firstKeyParameter);
            if (first <= 0 || keys.Count == 0 || keys.Count > slots)
            {
                throw new InvalidOperationException($"keyed statement without its key parameters ({keys.Count} keys, {slots} slots)");
            }

            if (!stmt.IsReadOnly)
            {
                throw new NotReadOnlyException("only read-only statements can be evaluated");
            }

            BindParameters(stmt, statement, strict: false, first - 1);
            var width = keys[0].Length;
            for (var k = 0; k < slots; k++)
            {
                var key = keys[Math.Min(k, keys.Count - 1)];
                for (var c = 0; c < width; c++)
                {
                    stmt.Bind(first + (k * width) + c, key[c]);
                }
            }

            return ReadAll(stmt);
        }
        finally
        {
            stmt.Reset();
        }
    }

    private sealed class SnapshotReader(CrdtStore store, sqlite3 handle) : ILiveQueryReader
    {
        public LiveQueryResult Evaluate(Statement statement) => store.EvaluateLiveQuery(handle, statement);

        public IReadOnlyList<SqlValue[]> Rows(Statement statement) => store.ReadRows(handle, statement);

        public IReadOnlyList<SqlValue[]> KeyedRows(Statement statement, string sql, string firstKeyParameter, IReadOnlyList<SqlValue[]> keys, int slots) =>
            store.ReadKeyedRows(handle, statement, sql, firstKeyParameter, keys, slots);
    }
}

/// <summary>A result column of a live query and where its values come from.</summary>
/// <param name="Name">The column's name in the result.</param>
/// <param name="OriginTable">The table the values are read from unchanged, or null for an expression.</param>
/// <param name="OriginColumn">The column the values are read from unchanged, or null for an expression.</param>
/// <param name="IsPrimaryKey">True when the origin is a primary-key column of a replicated table.</param>
internal sealed record LiveQueryColumn(string Name, string? OriginTable, string? OriginColumn, bool IsPrimaryKey);

/// <summary>One evaluation of a live query.</summary>
/// <param name="Columns">The result columns and their origins.</param>
/// <param name="Tables">Every replicated table the statement reads, with its primary-key columns.</param>
/// <param name="Rows">The rows, in the statement's order.</param>
internal sealed record LiveQueryResult(
    IReadOnlyList<LiveQueryColumn> Columns,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Tables,
    IReadOnlyList<SqlValue[]> Rows);
