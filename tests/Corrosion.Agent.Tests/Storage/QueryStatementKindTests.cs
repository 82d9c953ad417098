using Corrosion.Agent.Storage;
using SQLitePCL;

namespace Corrosion.Agent.Tests.Storage;

/// <summary>
/// Found by the HTTP fuzzer: <c>BEGIN</c> sent as a query left its pooled read connection inside a
/// read transaction, so later reads served by that connection missed newer writes. A query may
/// only read: statements whose effect outlives them on the connection are refused.
/// </summary>
public sealed class QueryStatementKindTests : IDisposable
{
    private const int PoolSize = 2;
    private readonly StoreBuilder _stores = new();
    private readonly CrdtStore _store;

    public QueryStatementKindTests()
    {
        _store = _stores.Open(_stores.Options("node") with { ReadPoolSize = PoolSize });
        _store.Exec("INSERT INTO items (id, name) VALUES (1, 'a')");
    }

    public void Dispose() => _stores.Dispose();

    [Theory]
    [InlineData("BEGIN", "BEGIN")]
    [InlineData("BEGIN DEFERRED TRANSACTION", "BEGIN")]
    [InlineData("COMMIT", "BEGIN")]
    [InlineData("END", "BEGIN")]
    [InlineData("ROLLBACK", "BEGIN")]
    [InlineData("SAVEPOINT s", "SAVEPOINT")]
    [InlineData("RELEASE s", "SAVEPOINT")]
    [InlineData("ATTACH ':memory:' AS m", "ATTACH")]
    [InlineData("DETACH main", "ATTACH")]
    [InlineData("PRAGMA case_sensitive_like = 1", "case_sensitive_like")]
    [InlineData("PRAGMA query_only = 0", "query_only")]
    [InlineData("PRAGMA busy_timeout = 1", "busy_timeout")]
    [InlineData("PRAGMA hard_heap_limit = 100000", "hard_heap_limit")]
    [InlineData("PRAGMA main.cache_size = 5", "cache_size")]
    [InlineData("PRAGMA reverse_unordered_selects = 1", "reverse_unordered_selects")]
    [InlineData("PRAGMA wal_checkpoint", "wal_checkpoint")]
    [InlineData("PRAGMA optimize", "optimize")]
    public void A_statement_that_outlives_its_query_is_refused_and_every_pooled_connection_then_sees_new_writes(string sql, string named)
    {
        // Every connection has read the old state, so each would keep it if left in a transaction.
        AssertEveryConnectionCounts(1);

        for (var i = 0; i < PoolSize; i++)
        {
            var error = Assert.Throws<SqlException>(() => _store.Query(new Statement(sql)).Dispose());
            Assert.Contains(named, error.Message, StringComparison.OrdinalIgnoreCase);
            AssertEveryConnectionCounts(1);
        }

        _store.Exec("INSERT INTO items (id, name) VALUES (2, 'b')");

        AssertEveryConnectionCounts(2);
    }

    [Fact]
    public void A_refused_pragma_changes_no_setting()
    {
        Assert.Throws<SqlException>(() => _store.Query(new Statement("PRAGMA case_sensitive_like = 1")).Dispose());

        // LIKE is still case-insensitive on every connection.
        AssertOnEveryConnection("SELECT count(*) FROM items WHERE name LIKE 'A'", 1);
    }

    [Theory]
    [InlineData("PRAGMA table_info(items)", 4)]
    [InlineData("PRAGMA main.table_info(items)", 4)]
    [InlineData("PRAGMA table_xinfo('items')", 4)]
    [InlineData("SELECT * FROM pragma_table_info('items')", 4)]
    [InlineData("PRAGMA index_list(pairs)", 1)]
    [InlineData("PRAGMA user_version", 1)]
    [InlineData("PRAGMA busy_timeout", 1)]
    [InlineData("PRAGMA integrity_check", 1)]
    public void Introspection_pragmas_still_answer(string sql, int rows)
    {
        using var result = _store.Query(new Statement(sql));

        Assert.Equal(rows, result.Rows.Count());
    }

    [Fact]
    public void A_connection_returned_inside_a_transaction_is_rolled_back()
    {
        using var pool = new ReadPool(_stores.Options("node").Path, 1);
        var connection = pool.Rent(TimeSpan.FromSeconds(5));
        NativeStatement.Exec(connection.Handle!, "BEGIN; SELECT count(*) FROM items;");
        Assert.Equal(0, raw.sqlite3_get_autocommit(connection.Handle!));

        pool.Return(connection);
        _store.Exec("INSERT INTO items (id, name) VALUES (2, 'b')");

        var again = pool.Rent(TimeSpan.FromSeconds(5));
        try
        {
            Assert.NotEqual(0, raw.sqlite3_get_autocommit(again.Handle!));
            Assert.Equal(2, Count(again));
        }
        finally
        {
            pool.Return(again);
        }
    }

    [Fact]
    public void A_connection_returned_with_a_statement_left_mid_step_is_reset()
    {
        using var pool = new ReadPool(_stores.Options("node").Path, 1);
        var connection = pool.Rent(TimeSpan.FromSeconds(5));
        using var open = NativeStatement.Prepare(connection.Handle!, "SELECT id FROM items");

        // One row read, the statement never reset: it holds a read transaction open.
        Assert.Equal(raw.SQLITE_ROW, raw.sqlite3_step(open.Handle));
        pool.Return(connection);
        _store.Exec("INSERT INTO items (id, name) VALUES (2, 'b')");

        var again = pool.Rent(TimeSpan.FromSeconds(5));
        try
        {
            Assert.Equal(2, Count(again));
        }
        finally
        {
            pool.Return(again);
        }
    }

    private static long Count(Microsoft.Data.Sqlite.SqliteConnection connection)
    {
        using var stmt = NativeStatement.Prepare(connection.Handle!, "SELECT count(*) FROM items");
        Assert.Equal(raw.SQLITE_ROW, raw.sqlite3_step(stmt.Handle));
        return raw.sqlite3_column_int64(stmt.Handle, 0);
    }

    private void AssertEveryConnectionCounts(long expected) => AssertOnEveryConnection("SELECT count(*) FROM items", expected);

    /// <summary>Holds one query open per pooled connection, so each connection answers once.</summary>
    private void AssertOnEveryConnection(string sql, long expected)
    {
        var open = new List<QueryResult>();
        try
        {
            for (var i = 0; i < PoolSize; i++)
            {
                open.Add(_store.Query(new Statement(sql), TimeSpan.FromSeconds(30)));
            }

            foreach (var result in open)
            {
                Assert.Equal(expected, result.Rows.Single().Cells[0].AsInteger);
            }
        }
        finally
        {
            foreach (var result in open)
            {
                result.Dispose();
            }
        }
    }
}
