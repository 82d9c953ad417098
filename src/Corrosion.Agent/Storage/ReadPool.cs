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

    public ReadPool(string path, int size)
    {
        size = Math.Max(1, size);
        _available = new SemaphoreSlim(size, size);
        var builder = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false };
        for (var i = 0; i < size; i++)
        {
            var connection = new SqliteConnection(builder.ToString());
            connection.Open();
            NativeStatement.Exec(connection.Handle!, "PRAGMA query_only = 1; PRAGMA busy_timeout = 5000;");
            // Stubs so a write statement still prepares (and is then refused as not read-only)
            // instead of failing on the triggers' writer-only functions.
            foreach (var name in new[] { "corro_local", "corro_version", "corro_next_seq" })
            {
                raw.sqlite3_create_function(connection.Handle!, name, 0, raw.SQLITE_UTF8, null, RefuseWrite);
            }
            _all.Add(connection);
            _idle.Add(connection);
        }
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
        _idle.Add(connection);
        _available.Release();
    }

    public void Dispose()
    {
        foreach (var connection in _all)
        {
            connection.Dispose();
        }

        _available.Dispose();
    }
}
