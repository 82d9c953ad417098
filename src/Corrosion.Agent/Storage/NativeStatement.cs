using System.Buffers;
using System.Text;
using SQLitePCL;

namespace Corrosion.Agent.Storage;

/// <summary>
/// A thin wrapper over a prepared <c>sqlite3_stmt</c>: the store's hot paths bind, step and reset
/// these directly, without ADO.NET's per-call allocations.
/// </summary>
internal sealed unsafe class NativeStatement : IDisposable
{
    // Text up to this many UTF-8 bytes is encoded on the stack before binding.
    private const int StackTextBytes = 512;

    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _stmt;
    // The raw pointer of _stmt for SqliteNative's calls (no SafeHandle reference per call); zero once disposed.
    private IntPtr _p;

    private NativeStatement(sqlite3 db, sqlite3_stmt stmt)
    {
        _db = db;
        _stmt = stmt;
        _p = stmt.DangerousGetHandle();
    }

    private IntPtr P => _p != IntPtr.Zero ? _p : throw new ObjectDisposedException(nameof(NativeStatement));

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
    /// <summary>
    /// True for user SQL that must not run while a transaction's inserts wait for their clock rows: it reads a table of
    /// the store's own (<c>__corro_</c> in its name) or is a savepoint's SAVEPOINT / RELEASE / ROLLBACK TO.
    /// </summary>
    public bool FlushesInserts { get; set; }

    public bool IsReadOnly => (_readOnly < 0 ? _readOnly = raw.sqlite3_stmt_readonly(_stmt) != 0 ? 1 : 0 : _readOnly) == 1;

    public string Sql => raw.sqlite3_sql(_stmt).utf8_to_string();

    public int ParameterCount => _parameterCount < 0 ? _parameterCount = raw.sqlite3_bind_parameter_count(_stmt) : _parameterCount;

    public int ParameterIndex(string name) => raw.sqlite3_bind_parameter_index(_stmt, name);

    /// <summary>The name of a parameter slot (<c>:id</c>, <c>?2</c>), or null for an anonymous <c>?</c>.</summary>
    public string? ParameterName(int index) => raw.sqlite3_bind_parameter_name(_stmt, index).utf8_to_string();

    /// <summary>Clears every binding, so a reused statement never sees a previous call's values.</summary>
    public void ClearBindings() => _ = SqliteNative.sqlite3_clear_bindings(P);

    public NativeStatement Bind(int index, long value)
    {
        Check(SqliteNative.sqlite3_bind_int64(P, index, value));
        return this;
    }

    public NativeStatement Bind(int index, string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        if (length <= StackTextBytes)
        {
            Span<byte> utf8 = stackalloc byte[length];
            Encoding.UTF8.GetBytes(value, utf8);
            return BindText(index, utf8);
        }

        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var written = Encoding.UTF8.GetBytes(value, rented);
            return BindText(index, rented.AsSpan(0, written));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Binds text given as UTF-8 bytes (no transcoding; SQLite copies them).</summary>
    public NativeStatement BindText(int index, ReadOnlySpan<byte> utf8)
    {
        // An empty span may have a null pointer, which SQLite would bind as NULL, not as ''.
        byte empty = 0;
        fixed (byte* text = utf8)
        {
            Check(SqliteNative.sqlite3_bind_text(P, index, text == null ? &empty : text, utf8.Length, SqliteNative.Transient));
        }

        return this;
    }

    public NativeStatement BindBlob(int index, ReadOnlySpan<byte> value)
    {
        if (value.Length == 0)
        {
            Check(SqliteNative.sqlite3_bind_zeroblob(P, index, 0));
            return this;
        }

        fixed (byte* blob = value)
        {
            Check(SqliteNative.sqlite3_bind_blob(P, index, blob, value.Length, SqliteNative.Transient));
        }

        return this;
    }

    public NativeStatement BindNull(int index)
    {
        Check(SqliteNative.sqlite3_bind_null(P, index));
        return this;
    }

    public NativeStatement Bind(int index, SqlValue value)
    {
        switch (value.Kind)
        {
            case SqlValueKind.Null:
                Check(SqliteNative.sqlite3_bind_null(P, index));
                break;
            case SqlValueKind.Integer:
                Check(SqliteNative.sqlite3_bind_int64(P, index, value.AsInteger));
                break;
            case SqlValueKind.Real:
                Check(SqliteNative.sqlite3_bind_double(P, index, value.AsReal));
                break;
            case SqlValueKind.Text:
                Bind(index, value.AsText);
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
        var rc = SqliteNative.sqlite3_step(P);
        if (rc == raw.SQLITE_ROW)
        {
            return true;
        }

        if (rc == raw.SQLITE_DONE)
        {
            return false;
        }

        var message = ErrorMessage(_db);
        _ = SqliteNative.sqlite3_reset(_p);
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
        var p = P;
        // reset returns the last step's error again: already reported by Step.
        _ = SqliteNative.sqlite3_reset(p);
        _ = SqliteNative.sqlite3_clear_bindings(p);
    }

    public int ColumnCount => raw.sqlite3_column_count(_stmt);

    public string ColumnName(int i) => raw.sqlite3_column_name(_stmt, i).utf8_to_string();

    public bool IsNull(int i) => SqliteNative.sqlite3_column_type(P, i) == raw.SQLITE_NULL;

    public long GetInt64(int i) => SqliteNative.sqlite3_column_int64(P, i);

    public string GetText(int i) => raw.sqlite3_column_text(_stmt, i).utf8_to_string();

    /// <summary>The column as UTF-8 bytes, valid until the next step or reset.</summary>
    public ReadOnlySpan<byte> GetUtf8(int i)
    {
        var p = P;
        // Blob first, then its length (SQLite's documented order).
        var bytes = SqliteNative.sqlite3_column_blob(p, i);
        return bytes == null ? ReadOnlySpan<byte>.Empty : new ReadOnlySpan<byte>(bytes, SqliteNative.sqlite3_column_bytes(p, i));
    }

    public byte[] GetBlob(int i) => GetUtf8(i).ToArray();

    public SqlValue GetValue(int i) => SqliteNative.sqlite3_column_type(P, i) switch
    {
        raw.SQLITE_INTEGER => SqlValue.FromInteger(SqliteNative.sqlite3_column_int64(_p, i)),
        raw.SQLITE_FLOAT => SqlValue.FromReal(SqliteNative.sqlite3_column_double(_p, i)),
        raw.SQLITE_TEXT => SqlValue.FromText(Encoding.UTF8.GetString(GetUtf8(i))),
        raw.SQLITE_BLOB => SqlValue.FromBlob(GetUtf8(i).ToArray()),
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

    public void Dispose()
    {
        _p = IntPtr.Zero;
        _stmt.Dispose();
    }

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
