namespace Corrosion.Agent.Storage;

/// <summary>
/// Prepared keyed live-query statements of one read connection, by SQL text, least recently used
/// dropped past <see cref="Capacity"/>. Touched only by the thread that rented the connection.
/// </summary>
internal sealed class LiveStatementCache : IDisposable
{
    /// <summary>Most statements kept per connection (a few shapes per subscription).</summary>
    public const int Capacity = 512;

    private readonly Dictionary<string, LinkedListNode<(string Sql, NativeStatement Statement)>> _bySql = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Sql, NativeStatement Statement)> _recent = new();

    /// <summary>Statements held now.</summary>
    public int Count => _bySql.Count;

    /// <summary>The statement for <paramref name="sql"/>, prepared on <paramref name="db"/> the first time.</summary>
    /// <exception cref="SqlException">The text does not prepare.</exception>
    public NativeStatement Get(SQLitePCL.sqlite3 db, string sql)
    {
        if (_bySql.TryGetValue(sql, out var node))
        {
            _recent.Remove(node);
            _recent.AddFirst(node);
            return node.Value.Statement;
        }

        var statement = NativeStatement.Prepare(db, sql);
        _bySql[sql] = _recent.AddFirst((sql, statement));
        if (_bySql.Count > Capacity)
        {
            var last = _recent.Last!;
            _recent.RemoveLast();
            _bySql.Remove(last.Value.Sql);
            last.Value.Statement.Dispose();
        }

        return statement;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var (_, statement) in _recent)
        {
            statement.Dispose();
        }

        _recent.Clear();
        _bySql.Clear();
    }
}
