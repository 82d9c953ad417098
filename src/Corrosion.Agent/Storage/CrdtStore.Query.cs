using System.Globalization;

namespace Corrosion.Agent.Storage;

public sealed partial class CrdtStore
{
    private static readonly TimeSpan ReadWait = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Prepares one read-only statement on a pooled read-only connection. The result holds the
    /// connection until disposed. Thread-safe.
    /// </summary>
    /// <param name="statement">The statement.</param>
    /// <param name="timeout">Most time SQLite may spend on it (null: no limit); past it, reading the rows throws <see cref="SqlException"/>.</param>
    /// <param name="limit">Most rows and bytes it may answer (default: no limit); past them, reading the rows throws <see cref="SqlException"/>.</param>
    /// <exception cref="NotReadOnlyException">The statement would write; nothing ran.</exception>
    /// <exception cref="SqlException">Invalid SQL, with SQLite's message.</exception>
    public QueryResult Query(Statement statement, TimeSpan? timeout = null, QueryOutputLimit limit = default)
    {
        ArgumentNullException.ThrowIfNull(statement);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var connection = _readers.Rent(ReadWait);
        NativeStatement? stmt = null;
        try
        {
            stmt = PrepareQuery(connection.Handle!, statement.Sql);
            if (!stmt.IsReadOnly)
            {
                throw new NotReadOnlyException("only read-only statements are allowed in a query");
            }

            BindParameters(stmt, statement, strict: true);
            return new QueryResult(stmt, connection, _readers.Return, timeout, limit);
        }
        catch
        {
            stmt?.Dispose();
            _readers.Return(connection);
            throw;
        }
    }

    // Pragmas that only report, even with an argument (a table, an index, a row limit).
    private static readonly HashSet<string> IntrospectionPragmas = new(StringComparer.OrdinalIgnoreCase)
    {
        "table_info", "table_xinfo", "table_list", "index_info", "index_xinfo", "index_list", "foreign_key_list",
        "foreign_key_check", "integrity_check", "quick_check", "collation_list", "function_list", "module_list",
        "pragma_list", "database_list", "compile_options",
    };

    // Pragmas that act even without an argument.
    private static readonly HashSet<string> ActionPragmas = new(StringComparer.OrdinalIgnoreCase)
    {
        "optimize", "shrink_memory", "wal_checkpoint", "incremental_vacuum",
    };

    /// <summary>
    /// Compiles a query under an authorizer that keeps it to reading. SQLite calls transaction
    /// control and setting pragmas read-only, yet they outlive the query on its pooled connection:
    /// a BEGIN kept that connection's snapshot, so later reads it served missed newer writes (found
    /// by the HTTP fuzzer); <c>PRAGMA case_sensitive_like</c> changes later queries' results, and
    /// <c>PRAGMA hard_heap_limit</c> the whole process's memory.
    /// </summary>
    private static NativeStatement PrepareQuery(SQLitePCL.sqlite3 handle, string sql)
    {
        string? refusal = null;
        SQLitePCL.delegate_authorizer authorizer = (_, action, param0, param1, _, _) =>
        {
            refusal ??= action switch
            {
                SqliteTransactionAction or SqliteSavepointAction =>
                    "BEGIN, COMMIT, ROLLBACK and SAVEPOINT are not queries (each query reads in a transaction of its own; write transactions go to /v1/transactions)",
                SqliteAttach or SqliteDetach => "ATTACH and DETACH are not allowed",
                SqlitePragma when ActionPragmas.Contains(param0.utf8_to_string() ?? string.Empty)
                    || (param1.utf8_to_string() is not null && !IntrospectionPragmas.Contains(param0.utf8_to_string() ?? string.Empty)) =>
                    $"PRAGMA {param0.utf8_to_string()} would change the node's settings; a query may only read them",
                _ => null,
            };
            return refusal is null ? SQLitePCL.raw.SQLITE_OK : SQLitePCL.raw.SQLITE_DENY;
        };

        SQLitePCL.raw.sqlite3_set_authorizer(handle, authorizer, null);
        try
        {
            return NativeStatement.Prepare(handle, sql);
        }
        catch (SqlException) when (refusal is not null)
        {
            throw new SqlException(refusal);
        }
        finally
        {
            // Removed before the statement runs: SQLite consults it only while compiling, and
            // the live-query and token checks install their own on the same connections.
            SQLitePCL.raw.sqlite3_set_authorizer(handle, (SQLitePCL.delegate_authorizer?)null, null);
            GC.KeepAlive(authorizer);
        }
    }

    /// <summary>Row counts of the named replicated tables (all of them when null or empty). Thread-safe.</summary>
    public IReadOnlyDictionary<string, long> TableStats(IReadOnlyList<string>? tables)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var names = tables is null || tables.Count == 0 ? Tables : tables;
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (!_tables.TryGetValue(name, out var table))
            {
                throw new SqlException(string.Create(CultureInfo.InvariantCulture, $"no such replicated table: {name}"));
            }

            using var result = Query(new Statement($"SELECT count(*) FROM {SchemaLoader.Quote(table.Name)}"));
            foreach (var row in result.Rows)
            {
                counts[name] = row.Cells[0].AsInteger;
            }
        }

        return counts;
    }
}
