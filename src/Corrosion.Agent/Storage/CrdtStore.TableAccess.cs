using SQLitePCL;

namespace Corrosion.Agent.Storage;

public sealed partial class CrdtStore
{
    // Action codes of sqlite3_set_authorizer (sqlite3.h) a table-restricted caller may use freely.
    private const int SqliteTransactionAction = 22;
    private const int SqliteSavepointAction = 32;

    /// <summary>
    /// Compiles every statement (each part of a multi-statement text) on a pooled read connection
    /// under an authorizer that lets SQLite report each table read or written, and refuses when one
    /// is not <paramref name="allowed"/>; nothing runs. Reads through the store's own triggers are
    /// the store's; PRAGMA and other databases are refused, since they would reveal other tables.
    /// Thread-safe.
    /// </summary>
    /// <returns>The tables the statements read or write.</returns>
    /// <exception cref="TableAccessException">A statement touches a table outside <paramref name="allowed"/>.</exception>
    /// <exception cref="SqlException">Invalid SQL, with SQLite's message.</exception>
    public IReadOnlySet<string> CheckTableAccess(IReadOnlyList<Statement> statements, Func<string, bool> allowed)
    {
        ArgumentNullException.ThrowIfNull(statements);
        ArgumentNullException.ThrowIfNull(allowed);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var connection = _readers.Rent(ReadWait);
        var handle = connection.Handle!;
        string? refusal = null;
        var touched = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        delegate_authorizer authorizer = (_, action, param0, _, dbName, inner) =>
        {
            switch (action)
            {
                case SqliteSelectAction or SqliteFunctionAction or SqliteRecursiveAction or SqliteTransactionAction or SqliteSavepointAction:
                    return raw.SQLITE_OK;
                case SqliteReadAction or SqliteInsert or SqliteUpdate or SqliteDelete:
                    var table = param0.utf8_to_string() ?? string.Empty;
                    if (inner.utf8_to_string() is { } trigger && CrrTable.IsTriggerName(trigger) && table.Contains("__corro_", StringComparison.Ordinal))
                    {
                        // The CRR triggers' bookkeeping, compiled with the user's write (not a
                        // read through the t__corro_clock view, which is refused as the table is).
                        return raw.SQLITE_OK;
                    }

                    var database = dbName.utf8_to_string();
                    if (database is not null && database != "main")
                    {
                        refusal ??= $"this token may not use the {database} database";
                        return raw.SQLITE_DENY;
                    }

                    if (!allowed(table))
                    {
                        refusal ??= $"this token may not use table {table}";
                        return raw.SQLITE_DENY;
                    }

                    touched.Add(table);
                    return raw.SQLITE_OK;
                default:
                    refusal ??= "this token may only read and write its tables (no PRAGMA, ATTACH or schema changes)";
                    return raw.SQLITE_DENY;
            }
        };

        try
        {
            raw.sqlite3_set_authorizer(handle, authorizer, null);
            foreach (var statement in statements)
            {
                var rest = statement.Sql;
                while (!NativeStatement.IsOnlyComments(rest))
                {
                    NativeStatement? stmt;
                    try
                    {
                        stmt = NativeStatement.PrepareNext(handle, rest, out rest);
                    }
                    catch (SqlException) when (refusal is not null)
                    {
                        throw new TableAccessException(refusal);
                    }

                    if (stmt is null)
                    {
                        break;
                    }

                    stmt.Dispose();
                    if (refusal is not null)
                    {
                        throw new TableAccessException(refusal);
                    }
                }
            }

            return touched;
        }
        finally
        {
            // The connection goes back to the pool for ordinary queries, which run unchecked.
            raw.sqlite3_set_authorizer(handle, (delegate_authorizer?)null, null);
            GC.KeepAlive(authorizer);
            _readers.Return(connection);
        }
    }
}
