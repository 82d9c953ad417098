using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Corrosion.Agent.Storage;

/// <summary>A fixed set of read-only connections; renting waits when all are in use.</summary>
internal sealed class ReadPool : IDisposable
{
    private readonly ConcurrentBag<SqliteConnection> _idle = new();
    private readonly SemaphoreSlim _available;
    private readonly List<SqliteConnection> _all = new();

    private readonly string _connectionString;

    private readonly int _maxValueSize;

    private readonly Action<SqliteConnection>? _opened;

    public ReadPool(string path, int size, int maxValueSize = StoreOptions.DefaultMaxValueSize, Action<SqliteConnection>? opened = null)
    {
        _maxValueSize = maxValueSize;
        _opened = opened;
        size = Math.Max(1, size);
        _available = new SemaphoreSlim(size, size);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
        for (var i = 0; i < size; i++)
        {
            var connection = OpenConnection();
            _all.Add(connection);
            _idle.Add(connection);
        }
    }

    private SqliteConnection OpenConnection()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();

        // Lets Return find statements left unreset (SQLitePCL tracks them only when asked).
        connection.Handle!.enable_sqlite3_next_stmt(true);
        // db.max_value_size: a query cannot build a value larger (randomblob(100000000) was ~400 MB of JSON).
        raw.sqlite3_limit(connection.Handle!, raw.SQLITE_LIMIT_LENGTH, _maxValueSize);
        NativeStatement.Exec(connection.Handle!, "PRAGMA query_only = 1; PRAGMA busy_timeout = 5000;");
        // Stubs so a write statement still prepares (and is then refused as not read-only)
        // instead of failing on the triggers' writer-only functions.
        foreach (var (name, arguments) in CrdtStore.TriggerFunctions)
        {
            raw.sqlite3_create_function(connection.Handle!, name, arguments, raw.SQLITE_UTF8, null, RefuseWrite);
        }

        _opened?.Invoke(connection);
        return connection;
    }

    private static readonly delegate_function_scalar RefuseWrite =
        (ctx, _, _) => raw.sqlite3_result_error(ctx, "replicated tables are written only by the agent's writer");

    public SqliteConnection Rent(TimeSpan timeout)
    {
        if (!_available.Wait(timeout))
        {
            throw new TimeoutException("no read connection became free in time");
        }

        if (_idle.TryTake(out var connection))
        {
            return connection;
        }

        _available.Release();
        throw new InvalidOperationException("read pool is inconsistent");
    }

    public void Return(SqliteConnection connection)
    {
        try
        {
            connection = EndTransaction(connection);
        }
        finally
        {
            _idle.Add(connection);
            _available.Release();
        }
    }

    /// <summary>
    /// A connection goes back to the pool outside any transaction: one left inside (a statement
    /// stepped but never reset, a BEGIN) keeps its WAL snapshot, and every later read it serves
    /// misses the writes since — reads flip between old and new state with the connection that
    /// serves them (found by the HTTP fuzzer). Resets what is left, rolls back; a connection that
    /// still cannot leave its transaction is replaced by a fresh one.
    /// </summary>
    private SqliteConnection EndTransaction(SqliteConnection connection)
    {
        var handle = connection.Handle!;
        if (raw.sqlite3_get_autocommit(handle) != 0 && raw.sqlite3_next_stmt(handle, null) is null)
        {
            return connection;
        }

        for (var stmt = raw.sqlite3_next_stmt(handle, null); stmt is not null; stmt = raw.sqlite3_next_stmt(handle, stmt))
        {
            raw.sqlite3_reset(stmt);
        }

        if (raw.sqlite3_get_autocommit(handle) == 0)
        {
            raw.sqlite3_exec(handle, "ROLLBACK", out _);
        }

        if (raw.sqlite3_get_autocommit(handle) != 0)
        {
            return connection;
        }

        var fresh = OpenConnection();
        lock (_all)
        {
            _all[_all.IndexOf(connection)] = fresh;
        }

        connection.Dispose();
        return fresh;
    }

    /// <summary>
    /// Frees the page caches of the connections idle now (<c>PRAGMA shrink_memory</c>); a connection in
    /// use is left alone, nothing waits.
    /// </summary>
    /// <returns>The bytes of page cache freed.</returns>
    public long ReleaseMemory()
    {
        var taken = new List<SqliteConnection>();
        try
        {
            while (_available.Wait(0))
            {
                if (!_idle.TryTake(out var connection))
                {
                    _available.Release();
                    break;
                }

                taken.Add(connection);
            }

            return taken.Sum(static c => CrdtStore.ShrinkMemory(c.Handle!));
        }
        finally
        {
            foreach (var connection in taken)
            {
                _idle.Add(connection);
                _available.Release();
            }
        }
    }

    public void Dispose()
    {
        lock (_all)
        {
            foreach (var connection in _all)
            {
                connection.Dispose();
            }
        }

        _available.Dispose();
    }
}
