using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Tests.Storage;

/// <summary>
/// Local writes captured by the pre-update hook (the writer's triggers off) against the same writes captured by the
/// triggers (<see cref="CrdtStore.BatchInserts"/> off): the same changes, clocks and seqs, around the hook's edges.
/// </summary>
public class PreUpdateCaptureTests
{
    private const string Schema = """
        CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, qty INTEGER DEFAULT 0 NOT NULL, data ANY);
        CREATE TABLE pairs (a TEXT NOT NULL, b INTEGER NOT NULL, v, PRIMARY KEY (a, b));
        CREATE TABLE tags (tag TEXT NOT NULL PRIMARY KEY);
        CREATE TABLE nocase (k TEXT COLLATE NOCASE NOT NULL PRIMARY KEY, v);
        """;

    [Theory]
    [InlineData("INSERT OR REPLACE INTO items (id, name) VALUES (1, 'again')")]
    [InlineData("REPLACE INTO items (id, name, qty) VALUES (1, 'again', 5), (1, 'twice', 6)")]
    [InlineData("UPDATE OR REPLACE items SET id = 2 WHERE id = 1")]
    [InlineData("INSERT OR REPLACE INTO pairs (a, b, v) VALUES ('x', 1, 'again')")]
    [InlineData("UPDATE OR REPLACE pairs SET b = 2 WHERE a = 'x' AND b = 1")]
    [InlineData("INSERT OR REPLACE INTO tags (tag) VALUES ('t')")]
    [InlineData("UPDATE OR REPLACE tags SET tag = 'u' WHERE tag = 't'")]
    [InlineData("INSERT INTO items (id, name) VALUES (1, 'up') ON CONFLICT (id) DO UPDATE SET name = excluded.name, qty = qty + 1")]
    [InlineData("UPDATE nocase SET k = 'A' WHERE k = 'a'")]
    [InlineData("INSERT OR REPLACE INTO nocase (k, v) VALUES ('A', 3)")]
    [InlineData("UPDATE items SET qty = 3.0 WHERE id = 1")]
    [InlineData("DELETE FROM pairs")]
    public void A_write_over_live_rows_gives_the_clocks_the_triggers_give(string write)
    {
        var setup = new[]
        {
            "INSERT INTO items (id, name, qty) VALUES (1, 'a', 3), (2, 'b', 4)",
            "INSERT INTO pairs (a, b, v) VALUES ('x', 1, 'one'), ('x', 2, 'two')",
            "INSERT INTO tags (tag) VALUES ('t'), ('u')",
            "INSERT INTO nocase (k, v) VALUES ('a', 1)",
        };
        AssertSameAsTheTriggers([.. setup.Select(s => new[] { s }), [write], [write, "UPDATE items SET name = 'after' WHERE id = 2"]]);
    }

    [Fact]
    public void Inserts_updates_and_deletes_interleaved_in_one_transaction_give_the_triggers_clocks()
    {
        AssertSameAsTheTriggers(
        [
            [
                "INSERT INTO items (id, name) VALUES (1, 'a'), (2, 'b'), (3, 'c')",
                "UPDATE items SET name = 'B' WHERE id = 2",
                "INSERT INTO pairs (a, b, v) VALUES ('p', 1, 1)",
                "INSERT INTO items (id, name) VALUES (4, 'd')",
                "DELETE FROM items WHERE id = 1",
                "UPDATE items SET id = 10 WHERE id = 3",
                "UPDATE pairs SET a = 'q'",
                "INSERT INTO items (id, name) VALUES (1, 'back')",
            ],
            [
                "SAVEPOINT s",
                "INSERT INTO items (id, name) VALUES (20, 'gone')",
                "UPDATE items SET qty = 7 WHERE id = 4",
                "ROLLBACK TO s",
                "RELEASE s",
                "UPDATE items SET qty = 8 WHERE id = 4",
                "DELETE FROM pairs",
            ],
        ]);
    }

    [Fact]
    public void The_last_insert_rowid_after_a_local_insert_is_the_inserted_rows()
    {
        // The clock writes after the statement (here the key map's and the clock table's INSERTs for a table with a
        // composite key) must not show through last_insert_rowid(), as a trigger's writes do not.
        using var builder = new StoreBuilder().WithSchema(Schema);
        var store = builder.Build();
        store.Execute([
            new Statement("INSERT INTO pairs (rowid, a, b, v) VALUES (500, 'x', 1, 'one')"),
            new Statement("INSERT INTO items (id, qty) VALUES (1, last_insert_rowid())"),
        ]);
        Assert.Equal(500, store.Scalar("SELECT qty FROM items WHERE id = 1").AsInteger);
    }

    [Fact]
    public void A_write_the_hook_captured_is_refused_with_its_statement_when_its_transaction_fails()
    {
        using var builder = new StoreBuilder().WithSchema(Schema);
        var store = builder.Build();
        var error = Assert.Throws<StatementException>(() => store.Execute([
            new Statement("INSERT INTO pairs (a, b, v) VALUES ('x', 1, 'one')"),
            new Statement("INSERT INTO pairs (a, b, v) VALUES ('x', 1, 'dup')"),
        ]));
        Assert.Equal(1, error.StatementIndex);
        Assert.Equal(0, store.Scalar("SELECT count(*) FROM pairs__corro_clock").AsInteger);
        var next = store.Exec("INSERT INTO pairs (a, b, v) VALUES ('y', 1, 'one')");
        Assert.Equal(1, next.Version);
        Assert.Equal(new[] { ("v", 0L) }, next.Changesets.SelectMany(c => c.Changes).Select(c => (c.Cid, c.Seq)));
    }

    private static void AssertSameAsTheTriggers(IReadOnlyList<string[]> transactions)
    {
        using var builder = new StoreBuilder().WithSchema(Schema);
        var hooked = builder.Build("hooked");
        var triggered = builder.Build("triggered");
        triggered.BatchInserts = false;
        for (var i = 0; i < transactions.Count; i++)
        {
            var statements = transactions[i].Select(s => new Statement(s)).ToList();
            Assert.Equal(Outcome(triggered, statements), Outcome(hooked, statements));
            Assert.Equal(Clocks(triggered), Clocks(hooked));
        }
    }

    private static string Outcome(CrdtStore store, List<Statement> statements)
    {
        try
        {
            var result = store.Execute(statements);
            var changes = result.Changesets.SelectMany(c => c.Changes)
                .Select(c => $"{c.Table} {string.Join(",", c.Pk.Select(p => p.ToString()))} {c.Cid}={c.Value.Kind}:{c.Value} v{c.ColVersion} cl{c.Cl} seq{c.Seq}");
            return $"version {result.Version}, rows {string.Join(",", result.Results.Select(r => r.RowsAffected))}\n" + string.Join("\n", changes);
        }
        catch (StatementException e)
        {
            return $"failed at {e.StatementIndex}: {e.Message}";
        }
    }

    private static List<string> Clocks(CrdtStore store)
    {
        var lines = new List<string>();
        foreach (var table in new[] { "items", "pairs", "tags", "nocase" })
        {
            lines.AddRange(store.Rows($"SELECT '{table}', * FROM \"{table}__corro_clock_rows\" ORDER BY key").Select(r => string.Join("|", r.Select(c => c.ToString()))));
            lines.AddRange(store.Rows($"SELECT '{table}', * FROM \"{table}\" ORDER BY 2").Select(r => string.Join("|", r.Select(c => c.ToString()))));
        }

        return lines;
    }
}
