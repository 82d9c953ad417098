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
    /// <exception cref="NotReadOnlyException">The statement would write; nothing ran.</exception>
    /// <exception cref="SqlException">Invalid SQL, with SQLite's message.</exception>
    public QueryResult Query(Statement statement, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(statement);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var connection = _readers.Rent(ReadWait);
        NativeStatement? stmt = null;
        try
        {
            stmt = NativeStatement.Prepare(connection.Handle!, statement.Sql);
            if (!stmt.IsReadOnly)
            {
                throw new NotReadOnlyException("only read-only statements are allowed in a query");
            }

            BindParameters(stmt, statement, strict: true);
            return new QueryResult(stmt, connection, _readers.Return, timeout);
        }
        catch
        {
            stmt?.Dispose();
            _readers.Return(connection);
            throw;
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
