using Microsoft.Data.Sqlite;

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
    private bool _enumerated;
    private bool _disposed;

    internal QueryResult(NativeStatement statement, SqliteConnection connection, Action<SqliteConnection> release)
    {
        _statement = statement;
        _connection = connection;
        _release = release;
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
    /// The rows, read as enumerated (once). Throws <see cref="SqlException"/> when SQLite fails mid-way.
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
        while (!_disposed && _statement.Step())
        {
            var cells = new SqlValue[Columns.Count];
            for (var i = 0; i < cells.Length; i++)
            {
                cells[i] = _statement.GetValue(i);
            }

            yield return new QueryRow(++rowId, cells);
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
        _release(_connection);
    }
}
