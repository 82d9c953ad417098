using Corrosion.Agent.Storage;
using Corrosion.Agent.Subscriptions;
using Corrosion.Agent.Tests.Storage;
using Microsoft.Data.Sqlite;

namespace Corrosion.Agent.Tests.Subscriptions;

public sealed class LiveQueryEvaluationTests : IDisposable
{
    private readonly StoreBuilder _stores = new StoreBuilder().WithSchema(SubscriptionHarness.Schema);
    private readonly CrdtStore _store;

    public LiveQueryEvaluationTests()
    {
        _store = _stores.Build();
        _store.Exec("INSERT INTO teams (name, region) VALUES ('red', 'eu'), ('blue', 'us')");
        _store.Exec("INSERT INTO items (id, name, qty, team) VALUES (1, 'a', 2, 'red'), (2, 'b', 3, 'blue'), (3, 'c', 4, 'red')");
    }

    public void Dispose() => _stores.Dispose();

    [Fact]
    public void Bundled_sqlite_has_column_metadata()
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT sqlite_compileoption_used('ENABLE_COLUMN_METADATA')";
        Assert.Equal(1L, command.ExecuteScalar());
    }

    [Fact]
    public void A_single_table_query_reads_that_table_and_keys_on_its_primary_key()
    {
        var result = _store.EvaluateLiveQuery(new Statement("SELECT name, id FROM items WHERE qty > 2"));

        Assert.Equal(["items"], result.Tables.Keys);
        Assert.Equal(("items", "id", true), (result.Columns[1].OriginTable, result.Columns[1].OriginColumn, result.Columns[1].IsPrimaryKey));
        Assert.Equal([1], RowIdentity.KeyColumns(result.Columns, result.Tables));
        Assert.Equal(2, result.Rows.Count);
    }

    [Fact]
    public void A_join_reads_both_tables_and_keys_on_both_primary_keys()
    {
        var result = _store.EvaluateLiveQuery(new Statement("SELECT i.id, t.name AS team, t.region FROM items i JOIN teams t ON t.name = i.team"));

        Assert.Equal(["items", "teams"], result.Tables.Keys.Order());
        Assert.Equal([0, 1], RowIdentity.KeyColumns(result.Columns, result.Tables));
    }

    [Fact]
    public void Tables_read_only_in_a_subquery_are_found()
    {
        var result = _store.EvaluateLiveQuery(new Statement("SELECT id FROM items WHERE team IN (SELECT name FROM teams WHERE region = 'eu')"));

        Assert.Equal(["items", "teams"], result.Tables.Keys.Order());
        // The key of teams is not in the result: every plain column identifies the row.
        Assert.Equal([0], RowIdentity.KeyColumns(result.Columns, result.Tables));
    }

    [Fact]
    public void A_group_by_aggregate_keys_on_its_group_columns()
    {
        var result = _store.EvaluateLiveQuery(new Statement("SELECT team, count(*) AS n, sum(qty) FROM items GROUP BY team"));

        Assert.Null(result.Columns[1].OriginColumn);
        Assert.Equal([0], RowIdentity.KeyColumns(result.Columns, result.Tables));
    }

    [Fact]
    public void A_plain_aggregate_has_an_empty_key()
    {
        var result = _store.EvaluateLiveQuery(new Statement("SELECT count(*) FROM items"));

        Assert.Equal(["items"], result.Tables.Keys);
        Assert.Empty(RowIdentity.KeyColumns(result.Columns, result.Tables));
    }

    [Fact]
    public void Parameters_are_bound()
    {
        var result = _store.EvaluateLiveQuery(new Statement("SELECT id FROM items WHERE team = ?", [SqlValue.FromText("red")]));

        Assert.Equal(2, result.Rows.Count);
    }

    [Theory]
    [InlineData("SELECT * FROM sqlite_master", "sqlite_master")]
    [InlineData("SELECT * FROM items__corro_clock", "items__corro_clock")]
    [InlineData("SELECT * FROM __corro_meta", "__corro_meta")]
    [InlineData("SELECT i.id FROM items i JOIN __corro_sites s", "__corro_sites")]
    public void Reads_of_tables_that_are_not_replicated_are_refused(string sql, string table)
    {
        var error = Assert.ThrowsAny<SqlException>(() => _store.EvaluateLiveQuery(new Statement(sql)));

        Assert.Contains(table, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("DELETE FROM items")]
    [InlineData("INSERT INTO items (id) VALUES (9)")]
    [InlineData("SELEC id FROM items")]
    [InlineData("SELECT nope FROM items")]
    [InlineData("SELECT 1")]
    [InlineData("PRAGMA table_info(items)")]
    [InlineData("SELECT id FROM items; SELECT id FROM items")]
    public void Statements_that_are_not_one_read_of_replicated_tables_are_refused(string sql)
    {
        Assert.ThrowsAny<SqlException>(() => _store.EvaluateLiveQuery(new Statement(sql)));
    }

    [Fact]
    public void Missing_parameters_are_refused()
    {
        Assert.ThrowsAny<SqlException>(() => _store.EvaluateLiveQuery(new Statement("SELECT id FROM items WHERE id = ?")));
    }

    [Fact]
    public void The_authorizer_is_gone_for_ordinary_queries_afterwards()
    {
        for (var i = 0; i < 4; i++)
        {
            Assert.ThrowsAny<SqlException>(() => _store.EvaluateLiveQuery(new Statement("SELECT * FROM sqlite_master")));
        }

        Assert.NotEmpty(_store.Rows("SELECT name FROM sqlite_master"));
    }
}
