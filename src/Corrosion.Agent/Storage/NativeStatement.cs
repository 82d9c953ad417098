using System.Text;
using SQLitePCL;

namespace Corrosion.Agent.Storage;

/// <summary>
/// A thin wrapper over a prepared <c>sqlite3_stmt</c>: the store's hot paths bind, step and reset
/// these directly, without ADO.NET's per-call allocations.
/// </summary>
internal sealed class NativeStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _stmt;

    private NativeStatement(sqlite3 db, sqlite3_stmt stmt)
    {
        _db = db;
        _stmt = stmt;
    }

    public sqlite3_stmt Handle => _stmt;

    /// <summary>Prepares exactly one statement; throws <see cref="SqlException"/> with SQLite's message.</summary>
    public static NativeStatement Prepare(sqlite3 db, string sql)
    {
        var rc = raw.sqlite3_prepare_v2(db, sql, out var stmt, out string tail);
        if (rc != raw.SQLITE_OK)
        {
            stmt?.Dispose();
            throw new SqlException(raw.sqlite3_errmsg(db).utf8_to_string());
        }

        if (stmt is null || stmt.IsInvalid)
        {
            // Only whitespace or comments: SQLite succeeds with no statement, and any use of the
            // null handle would crash the process.
            stmt?.Dispose();
            throw new SqlException("the SQL text holds no statement (only whitespace or comments)");
        }

        if (!string.IsNullOrWhiteSpace(tail) && !IsOnlyComments(tail))
        {
            stmt.Dispose();
            throw new SqlException("expected exactly one statement");
        }

        return new NativeStatement(db, stmt);
    }

    /// <summary>Prepares the first statement of <paramref name="sql"/>; null when only whitespace/comments remain.</summary>
    public static NativeStatement? PrepareNext(sqlite3 db, string sql, out string tail)
    {
        var rc = raw.sqlite3_prepare_v2(db, sql, out var stmt, out tail);
        if (rc != raw.SQLITE_OK)
        {
            stmt?.Dispose();
            throw new SqlException(raw.sqlite3_errmsg(db).utf8_to_string());
        }

        if (stmt is null || stmt.IsInvalid)
        {
            stmt?.Dispose();
            return null;
        }

        return new NativeStatement(db, stmt);
    }

    internal static bool IsOnlyComments(string text)
    {
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c) || c == ';')
            {
                i++;
            }
            else if (c == '-' && i + 1 < text.Length && text[i + 1] == '-')
            {
                var end = text.IndexOf('\n', i);
                i = end < 0 ? text.Length : end + 1;
            }
            else if (c == '/' && i + 1 < text.Length && text[i + 1] == '*')
            {
                var end = text.IndexOf("*/", i + 2, StringComparison.Ordinal);
                i = end < 0 ? text.Length : end + 2;
            }
            else
            {
                return false;
            }
        }

        return true;
    }

    private int _readOnly = -1;
    private int _parameterCount = -1;

    // Both are fixed when the statement is compiled (a re-prepare keeps the SQL text), so a
    // statement reused per row asks SQLite once.
    public bool IsReadOnly => (_readOnly < 0 ? _readOnly = raw.sqlite3_stmt_readonly(_stmt) != 0 ? 1 : 0 : _readOnly) == 1;

    public string Sql => raw.sqlite3_sql(_stmt).utf8_to_string();

    public int ParameterCount => _parameterCount < 0 ? _parameterCount = raw.sqlite3_bind_parameter_count(_stmt) : _parameterCount;

    public int ParameterIndex(string name) => raw.sqlite3_bind_parameter_index(_stmt, name);

    /// <summary>The name of a parameter slot (<c>:id</c>, <c>?2</c>), or null for an anonymous <c>?</c>.</summary>
    public string? ParameterName(int index) => raw.sqlite3_bind_parameter_name(_stmt, index).utf8_to_string();

    /// <summary>Clears every binding, so a reused statement never sees a previous call's values.</summary>
    public void ClearBindings() => raw.sqlite3_clear_bindings(_stmt);

    public NativeStatement Bind(int index, long value)
    {
        Check(raw.sqlite3_bind_int64(_stmt, index, value));
        return this;
    }

    public NativeStatement Bind(int index, string value)
    {
        Check(raw.sqlite3_bind_text(_stmt, index, value));
        return this;
    }

    /// <summary>Binds text given as UTF-8 bytes (no transcoding).</summary>
    public NativeStatement BindText(int index, ReadOnlySpan<byte> utf8)
    {
        Check(raw.sqlite3_bind_text(_stmt, index, utf8));
        return this;
    }

    public NativeStatement BindBlob(int index, ReadOnlySpan<byte> value)
    {
        Check(value.Length == 0 ? raw.sqlite3_bind_zeroblob(_stmt, index, 0) : raw.sqlite3_bind_blob(_stmt, index, value));
        return this;
    }

    public NativeStatement BindNull(int index)
    {
        Check(raw.sqlite3_bind_null(_stmt, index));
        return this;
    }

    public NativeStatement Bind(int index, SqlValue value)
    {
        switch (value.Kind)
        {
            case SqlValueKind.Null:
                Check(raw.sqlite3_bind_null(_stmt, index));
                break;
            case SqlValueKind.Integer:
                Check(raw.sqlite3_bind_int64(_stmt, index, value.AsInteger));
                break;
            case SqlValueKind.Real:
                Check(raw.sqlite3_bind_double(_stmt, index, value.AsReal));
                break;
            case SqlValueKind.Text:
                Check(raw.sqlite3_bind_text(_stmt, index, value.AsText));
                break;
            default:
                BindBlob(index, value.AsBlob);
                break;
        }

        return this;
    }

    /// <summary>Steps once: true when a row is available, false when done; throws on error.</summary>
    public bool Step()
    {
        var rc = raw.sqlite3_step(_stmt);
        if (rc == raw.SQLITE_ROW)
        {
            return true;
        }

        if (rc == raw.SQLITE_DONE)
        {
            return false;
        }

        var message = ErrorMessage(_db);
        raw.sqlite3_reset(_stmt);
        throw new SqlException(message);
    }

    /// <summary>Runs to completion and resets, for statements that return no rows.</summary>
    public void Run()
    {
        try
        {
            while (Step())
            {
            }
        }
        finally
        {
            Reset();
        }
    }

    public void Reset()
    {
        raw.sqlite3_reset(_stmt);
        raw.sqlite3_clear_bindings(_stmt);
    }

    public int ColumnCount => raw.sqlite3_column_count(_stmt);

    public string ColumnName(int i) => raw.sqlite3_column_name(_stmt, i).utf8_to_string();

    public bool IsNull(int i) => raw.sqlite3_column_type(_stmt, i) == raw.SQLITE_NULL;

    public long GetInt64(int i) => raw.sqlite3_column_int64(_stmt, i);

    public string GetText(int i) => raw.sqlite3_column_text(_stmt, i).utf8_to_string();

    /// <summary>The column as UTF-8 bytes, valid until the next step or reset.</summary>
    public ReadOnlySpan<byte> GetUtf8(int i) => raw.sqlite3_column_blob(_stmt, i);

    public byte[] GetBlob(int i) => raw.sqlite3_column_blob(_stmt, i).ToArray();

    public SqlValue GetValue(int i) => raw.sqlite3_column_type(_stmt, i) switch
    {
        raw.SQLITE_INTEGER => SqlValue.FromInteger(raw.sqlite3_column_int64(_stmt, i)),
        raw.SQLITE_FLOAT => SqlValue.FromReal(raw.sqlite3_column_double(_stmt, i)),
        raw.SQLITE_TEXT => SqlValue.FromText(Encoding.UTF8.GetString(raw.sqlite3_column_blob(_stmt, i))),
        raw.SQLITE_BLOB => SqlValue.FromBlob(raw.sqlite3_column_blob(_stmt, i).ToArray()),
        _ => SqlValue.Null,
    };

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            throw new SqlException(ErrorMessage(_db));
        }
    }

    /// <summary>SQLite's message for the last error; a value over the length limit names the setting.</summary>
    private static string ErrorMessage(sqlite3 db)
    {
        var message = raw.sqlite3_errmsg(db).utf8_to_string();
        return raw.sqlite3_errcode(db) == raw.SQLITE_TOOBIG
            ? $"{message}: a value (or row) is larger than db.max_value_size ({raw.sqlite3_limit(db, raw.SQLITE_LIMIT_LENGTH, -1)} bytes)"
            : message;
    }

    public void Dispose() => _stmt.Dispose();

    /// <summary>Runs SQL text (possibly several statements) without results.</summary>
    public static void Exec(sqlite3 db, string sql)
    {
        var rc = raw.sqlite3_exec(db, sql, out string? error);
        if (rc != raw.SQLITE_OK)
        {
            throw new SqlException(error ?? raw.sqlite3_errmsg(db).utf8_to_string());
        }
    }
}
