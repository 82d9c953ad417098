using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Tests.Storage;

public class CrdtStoreBasicsTests
{
    [Fact]
    public void Execute_assigns_serial_versions_and_returns_changes_in_seq_order()
    {
        using var builder = new StoreBuilder();
        var store = builder.Build();
        var first = store.Exec("INSERT INTO items (id, name) VALUES (1, 'a')");
        var second = store.Exec("UPDATE items SET name = 'b' WHERE id = 1");
        Assert.Equal(1, first.Version);
        Assert.Equal(2, second.Version);
        Assert.Equal(2, store.CurrentVersion);
        var changeset = Assert.Single(second.Changesets);
        var change = Assert.Single(changeset.Changes);
        Assert.Equal("name", change.Cid);
        Assert.Equal(SqlValue.FromText("b"), change.Value);
        Assert.Equal(2, change.ColVersion);
        Assert.Equal(1, change.Cl);
        Assert.Equal(store.SiteId, change.SiteId);
        Assert.Equal(new SeqRange(0, 0), changeset.Seqs);
        var insert = Assert.Single(first.Changesets);
        // As in cr-sqlite, a new row's causal length 1 travels with its cells, not as a sentinel.
        Assert.Equal(new[] { "name", "qty", "data" }, insert.Changes.Select(c => c.Cid));
        Assert.Equal(new long[] { 0, 1, 2 }, insert.Changes.Select(c => c.Seq));
    }

    [Fact]
    public void Execute_without_replicated_change_has_no_version()
    {
        using var builder = new StoreBuilder();
        var store = builder.Build();
        store.Exec("INSERT INTO items (id, name) VALUES (1, 'a')");
        var result = store.Exec("UPDATE items SET name = 'a' WHERE id = 1");
        Assert.Null(result.Version);
        Assert.Empty(result.Changesets);
        Assert.Equal(0, result.Results[0].RowsAffected - 1);
    }

    [Fact]
    public void Execute_failure_rolls_back_every_statement_and_names_the_statement()
    {
        using var builder = new StoreBuilder();
        var store = builder.Build();
        var error = Assert.Throws<StatementException>(() => store.Execute(new[]
        {
            new Statement("INSERT INTO items (id, name) VALUES (1, 'a')"),
            new Statement("INSERT INTO nope VALUES (1)"),
        }));
        Assert.Equal(1, error.StatementIndex);
        Assert.Contains("nope", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, store.Scalar("SELECT count(*) FROM items").AsInteger);
        Assert.Equal(0, store.CurrentVersion);
        Assert.Equal(1, store.Exec("INSERT INTO items (id) VALUES (2)").Version);
    }

    [Fact]
    public void Write_from_another_connection_to_a_replicated_table_fails()
    {
        using var builder = new StoreBuilder();
        var options = builder.Options("n");
        var store = builder.Open(options);
        using var other = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={options.Path}");
        other.Open();
        using var command = other.CreateCommand();
        command.CommandText = "INSERT INTO items (id, name) VALUES (1, 'x')";
        var error = Assert.Throws<Microsoft.Data.Sqlite.SqliteException>(() => command.ExecuteNonQuery());
        // The triggers' writer-only function (corro_local, or corro_touch for a table keyed by its rowid) is missing.
        Assert.Contains("no such function: corro_", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, store.Scalar("SELECT count(*) FROM items").AsInteger);
    }

    [Fact]
    public void Query_refuses_writes_before_running_them()
    {
        using var builder = new StoreBuilder();
        var store = builder.Build();
        Assert.Throws<NotReadOnlyException>(() => store.Query(new Statement("DELETE FROM items")));
        var error = Assert.Throws<SqlException>(() => store.Query(new Statement("SELEC 1")));
        Assert.Contains("syntax error", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Query_streams_columns_and_numbered_rows_with_parameters()
    {
        using var builder = new StoreBuilder();
        var store = builder.Build();
        store.Exec("INSERT INTO items (id, name, data) VALUES (1, 'a', 1.5), (2, 'b', x'01'), (3, 'c', NULL)");
        using var result = store.Query(new Statement("SELECT id, name, data FROM items WHERE id >= ? ORDER BY id", new[] { SqlValue.FromInteger(2) }));
        Assert.Equal(new[] { "id", "name", "data" }, result.Columns);
        var rows = result.Rows.ToList();
        Assert.Equal(new long[] { 1, 2 }, rows.Select(r => r.RowId));
        Assert.Equal(SqlValue.FromBlob(new byte[] { 1 }), rows[0].Cells[2]);
        Assert.True(rows[1].Cells[2].IsNull);
    }

    [Fact]
    public void Named_parameters_bind_with_or_without_prefix()
    {
        using var builder = new StoreBuilder();
        var store = builder.Build();
        store.Execute(new[]
        {
            new Statement("INSERT INTO items (id, name) VALUES (:id, $name)", NamedParams: new Dictionary<string, SqlValue>
            {
                ["id"] = SqlValue.FromInteger(7),
                ["$name"] = SqlValue.FromText("seven"),
            }),
        });
        Assert.Equal("seven", store.Scalar("SELECT name FROM items WHERE id = 7").AsText);
    }

    [Fact]
    public void Site_id_and_cluster_id_are_kept_across_restarts()
    {
        using var builder = new StoreBuilder();
        var options = builder.Options("n") with { ClusterId = 7 };
        ActorId site;
        using (var store = CrdtStore.Open(options))
        {
            site = store.SiteId;
            store.Exec("INSERT INTO items (id) VALUES (1)");
        }

        using var again = CrdtStore.Open(options with { ClusterId = 9 });
        Assert.Equal(site, again.SiteId);
        Assert.Equal(7, again.ClusterId);
        Assert.Equal(1, again.CurrentVersion);
        Assert.Equal(2, again.Exec("INSERT INTO items (id) VALUES (2)").Version);
    }

    [Fact]
    public void Table_stats_count_rows()
    {
        using var builder = new StoreBuilder();
        var store = builder.Build();
        store.Exec("INSERT INTO items (id) VALUES (1), (2)");
        var stats = store.TableStats(null);
        Assert.Equal(2, stats["items"]);
        Assert.Equal(0, stats["pairs"]);
    }

    [Fact]
    public void Changes_replicate_to_another_store()
    {
        using var builder = new StoreBuilder();
        var a = builder.Build();
        var b = builder.Build();
        a.Exec("INSERT INTO items (id, name) VALUES (1, 'a'), (2, 'b')");
        a.Exec("DELETE FROM items WHERE id = 2");
        a.Exec("INSERT INTO pairs (a, b, v) VALUES ('x', 1, 'v')");
        var result = b.Apply(a.AllChanges());
        Assert.Equal(3, result.Applied.Count);
        Assert.Equal(a.Snapshot(), b.Snapshot());
        Assert.True(b.Apply(a.AllChanges()).IsEmpty);
        Assert.Equal(a.Snapshot(), b.Snapshot());
    }

    [Fact]
    public void Execute_interrupts_a_transaction_that_exceeds_its_timeout()
    {
        using var builder = new StoreBuilder();
        var store = builder.Build();
        var error = Assert.Throws<StatementException>(() => store.Execute(
            new[]
            {
                new Statement("INSERT INTO items (id) VALUES (1)"),
                new Statement("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n"),
            },
            TimeSpan.FromMilliseconds(50)));
        Assert.Equal(1, error.StatementIndex);
        Assert.Contains("interrupt", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, store.Scalar("SELECT count(*) FROM items").AsInteger);
    }

    [Fact]
    public void Transaction_control_statements_are_refused()
    {
        using var builder = new StoreBuilder();
        var store = builder.Build();
        Assert.Throws<StatementException>(() => store.Execute(new[] { new Statement("INSERT INTO items (id) VALUES (1)"), new Statement("COMMIT") }));
        Assert.Equal(0, store.Scalar("SELECT count(*) FROM items").AsInteger);
        Assert.Equal(1, store.Exec("INSERT INTO items (id) VALUES (1)").Version);
    }
}
