using SQLitePCL;

namespace Corrosion.Agent.Storage;

public sealed partial class CrdtStore
{
    // Action codes of sqlite3_set_authorizer (sqlite3.h).
    private const int SqliteCreateIndex = 1;
    private const int SqliteCreateTempTrigger = 6;
    private const int SqliteCreateTrigger = 7;
    private const int SqliteDelete = 9;
    private const int SqliteInsert = 18;
    private const int SqlitePragma = 19;
    private const int SqliteUpdate = 23;
    private const int SqliteRead = 20;
    private const int SqliteSavepoint = 32;
    private const int SqliteAttach = 24;
    private const int SqliteDetach = 25;
    private const int SqliteAlterTable = 26;
    private const int SqliteCreateVtable = 29;
    private const int SqliteDropVtable = 30;
    private const int SqliteDropIndex = 10;
    private const int SqliteDropTrigger = 16;

    private delegate_authorizer? _authorizer;
    private bool _authorizingUserSql;
    private string? _refusal;
    private bool _userSqlFlushesInserts;

    /// <summary>
    /// Installs an authorizer on the writer that, while user SQL is being compiled, refuses schema
    /// changes (which would escape the CRR machinery; schema comes from <c>db.schema_paths</c>),
    /// ATTACH, PRAGMA, and direct writes to the store's own <c>__corro_</c> tables.
    /// </summary>
    private void InstallAuthorizer()
    {
        _authorizer = Authorize;
        raw.sqlite3_set_authorizer(_db, _authorizer, null);
    }

    private int Authorize(object userData, int action, utf8z param0, utf8z param1, utf8z dbName, utf8z trigger)
    {
        if (!_authorizingUserSql)
        {
            return raw.SQLITE_OK;
        }

        // Actions inside the CRR triggers are the store's own.
        if (trigger.utf8_to_string() is not null)
        {
            return raw.SQLITE_OK;
        }

        // A statement that reads clock tables sees the clock rows of the transaction's inserts, and a ROLLBACK TO
        // must not leave clock rows to write for rows it undid: both run after FlushInserts.
        if (action == SqliteSavepoint)
        {
            _userSqlFlushesInserts = true;
            return raw.SQLITE_OK;
        }

        if (action == SqliteRead)
        {
            _userSqlFlushesInserts |= param0.utf8_to_string()?.Contains(SchemaLoader.InternalMarker, StringComparison.OrdinalIgnoreCase) == true;
            return raw.SQLITE_OK;
        }

        // A write to a clock table (t__corro_clock_rows) may change the clocks of the transaction's inserts: they are
        // written first and read back at the end.
        if (action is SqliteInsert or SqliteUpdate or SqliteDelete)
        {
            _userSqlFlushesInserts |= param0.utf8_to_string()?.Contains(SchemaLoader.InternalMarker, StringComparison.OrdinalIgnoreCase) == true;
        }

        string? refusal = action switch
        {
            >= SqliteCreateIndex and <= SqliteCreateTrigger or >= SqliteDropIndex and <= SqliteDropTrigger or SqliteAlterTable or SqliteCreateVtable or SqliteDropVtable =>
                "schema changes are not allowed in a transaction; the schema comes from db.schema_paths",
            SqliteAttach or SqliteDetach => "ATTACH and DETACH are not allowed",
            SqlitePragma => "PRAGMA is not allowed in a transaction",
            SqliteInsert or SqliteUpdate or SqliteDelete when param0.utf8_to_string()?.StartsWith("__corro_", StringComparison.Ordinal) == true =>
                $"table {param0.utf8_to_string()} belongs to the store and cannot be written directly",
            _ => null,
        };

        if (refusal is null)
        {
            return raw.SQLITE_OK;
        }

        _refusal = refusal;
        return raw.SQLITE_DENY;
    }

    /// <summary>Compiles user SQL under the authorizer; a denial surfaces with its reason.</summary>
    private NativeStatement? PrepareUserStatement(string sql, out string tail)
    {
        _authorizingUserSql = true;
        _refusal = null;
        _userSqlFlushesInserts = false;
        try
        {
            var stmt = NativeStatement.PrepareNext(_db, sql, out tail);
            if (stmt is not null)
            {
                stmt.FlushesInserts = _userSqlFlushesInserts;
            }

            return stmt;
        }
        catch (SqlException) when (_refusal is not null)
        {
            throw new SqlException(_refusal);
        }
        finally
        {
            _authorizingUserSql = false;
        }
    }
}
