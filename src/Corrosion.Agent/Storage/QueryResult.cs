using System.Diagnostics;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Corrosion.Agent.Storage;

/// <summary>
/// An open read-only query: its columns and a lazily read row sequence. Holds a pooled read
/// connection until disposed; read the rows on one thread at a time.
/// </summary>
public sealed class QueryResult : IDisposable
{
    private readonly NativeStatement _statement;
    private readonly Action<SqliteConnection> _release;
    private readonly SqliteConnection _connection;
    private readonly TimeSpan? _timeout;
    private readonly QueryOutputLimit _limit;
    private readonly delegate_progress? _progress;
    private bool _enumerated;
    private bool _disposed;
    private long _usedTicks;
    private long _stepStarted;
    private bool _interrupted;

    /// <param name="statement">The prepared statement.</param>
    /// <param name="connection">The pooled connection it runs on.</param>
    /// <param name="release">Gives the connection back.</param>
    /// <param name="timeout">
    /// Most time SQLite may spend stepping (time spent waiting on the reader between rows does
    /// not count, so a slow client is not cut off; an endless query is).
    /// </param>
    /// <param name="limit">Most rows and bytes the query may answer.</param>
    internal QueryResult(NativeStatement statement, SqliteConnection connection, Action<SqliteConnection> release, TimeSpan? timeout = null, QueryOutputLimit limit = default)
    {
        _statement = statement;
        _connection = connection;
        _release = release;
        _timeout = timeout;
        _limit = limit;
        if (timeout is { } time)
        {
            var budget = (long)(time.TotalSeconds * Stopwatch.Frequency);
            _progress = _ =>
            {
                var started = _stepStarted;
                if (started != 0 && _usedTicks + (Stopwatch.GetTimestamp() - started) > budget)
                {
                    _interrupted = true;
                    return 1;
                }

                return 0;
            };
            raw.sqlite3_progress_handler(connection.Handle!, 1000, _progress, null);
        }

        var columns = new string[statement.ColumnCount];
        for (var i = 0; i < columns.Length; i++)
        {
            columns[i] = statement.ColumnName(i);
        }

        Columns = columns;
    }

    /// <summary>The result's column names.</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>
    /// The rows, read as enumerated (once). Throws <see cref="SqlException"/> when SQLite fails mid-way
    /// or the answer would pass its <see cref="QueryOutputLimit"/> (the rows before it were returned).
    /// </summary>
    public IEnumerable<QueryRow> Rows
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_enumerated)
            {
                throw new InvalidOperationException("the rows of a query can be read once");
            }

            _enumerated = true;
            return Read();
        }
    }

    private IEnumerable<QueryRow> Read()
    {
        long rowId = 0;
        long bytes = 0;
        while (!_disposed && Step())
        {
            if (_limit.MaxRows > 0 && rowId >= _limit.MaxRows)
            {
                throw new SqlException($"the answer has more than {_limit.MaxRows} rows and was stopped there (api.max_query_rows); narrow the query or add a LIMIT");
            }

            var cells = new SqlValue[Columns.Count];
            for (var i = 0; i < cells.Length; i++)
            {
                cells[i] = _statement.GetValue(i);
                bytes += cells[i].Kind is SqlValueKind.Text or SqlValueKind.Blob ? raw.sqlite3_column_bytes(_statement.Handle, i) : 8;
            }

            if (_limit.MaxBytes > 0 && bytes > _limit.MaxBytes)
            {
                throw new SqlException($"the answer has more than {_limit.MaxBytes} bytes of values and was stopped before row {rowId + 1} (api.max_query_bytes); narrow the query or add a LIMIT");
            }

            yield return new QueryRow(++rowId, cells);
        }
    }

    private bool Step()
    {
        _stepStarted = Stopwatch.GetTimestamp();
        try
        {
            return _statement.Step();
        }
        catch (SqlException e) when (_interrupted)
        {
            throw new SqlException($"the query ran longer than {_timeout!.Value.TotalSeconds:0.###} s and was stopped (api.default_timeout, or ?timeout=)", e);
        }
        finally
        {
            _usedTicks += Stopwatch.GetTimestamp() - _stepStarted;
            _stepStarted = 0;
        }
    }

    /// <summary>Finishes the statement and returns the connection to the pool.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _statement.Dispose();
        if (_progress is not null)
        {
            raw.sqlite3_progress_handler(_connection.Handle!, 0, null, null);
            GC.KeepAlive(_progress);
        }

        _release(_connection);
    }
}
