using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Tests.Storage;

/// <summary>Clock maintenance of local writes, around the edges the fast trigger path must keep.</summary>
public class LocalWriteTests
{
    private const string Schema = """
        CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, qty INTEGER DEFAULT 0 NOT NULL, data ANY);
        CREATE TABLE tags (tag TEXT NOT NULL PRIMARY KEY);
        """;

    [Fact]
    public void Replacing_a_live_row_of_a_key_only_table_raises_its_causal_length_by_two()
    {
        // In a key-only table the sentinel is the row's only clock, so cr-sqlite's insert trigger
        // finds it live and adds 2, as for any row with a sentinel.
        using var builder = new StoreBuilder().WithSchema(Schema);
        var store = builder.Build();
        Assert.Equal(1, store.Exec("INSERT INTO tags (tag) VALUES ('x')").Version);
        var again = store.Exec("INSERT OR REPLACE INTO tags (tag) VALUES ('x')");
        Assert.Equal(2, again.Version);
        Assert.Equal(3, Assert.Single(Assert.Single(again.Changesets).Changes).Cl);
        Assert.Equal(3, store.Scalar("SELECT col_version FROM tags__corro_clock WHERE cid = '-1'").AsInteger);
    }

    [Fact]
    public void A_write_to_scattered_rows_of_a_dense_key_range_lists_only_those_rows()
    {
        // The read-back scans a dense key range once; the rows in between that the version did not
        // write (their cells belong to other versions) must not appear, and every written one must.
        using var builder = new StoreBuilder().WithSchema(Schema);
        var store = builder.Build();
        store.Exec("INSERT INTO items (id, name) VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e'), (6, 'f'), (7, 'g'), (9, 'i')");
        var write = store.Exec("UPDATE items SET name = name || '!' WHERE id IN (1, 3, 5, 6, 9)");
        var changes = write.Changesets.SelectMany(c => c.Changes).ToList();
        Assert.Equal(new long[] { 1, 3, 5, 6, 9 }, changes.Select(c => c.Pk[0].AsInteger).Order());
        Assert.All(changes, c => Assert.Equal(("name", 2L), (c.Cid, c.ColVersion)));
        Assert.Equal(changes.Select(c => c.Value.ToString()).Order(), store.AllChanges().OfType<ChangesetFull>().Single(c => c.Version == write.Version).Changes.Select(c => c.Value.ToString()).Order());
    }

    [Fact]
    public void A_transaction_alternating_two_statements_runs_each_with_its_own_text()
    {
        // The store finds the statement it ran last by its text's identity: the other one must not run in its place.
        using var builder = new StoreBuilder().WithSchema(Schema);
        var store = builder.Build();
        const string item = "INSERT INTO items (id, name) VALUES (?, 'item')";
        const string tag = "INSERT INTO tags (tag) VALUES (?)";
        store.Execute([
            new Statement(item, [SqlValue.FromInteger(1)]),
            new Statement(tag, [SqlValue.FromInteger(2)]),
            new Statement(item, [SqlValue.FromInteger(3)]),
            new Statement(tag, [SqlValue.FromInteger(4)]),
        ]);
        Assert.Equal("1,3", store.Scalar("SELECT group_concat(id) FROM (SELECT id FROM items ORDER BY id)").AsText);
        Assert.Equal("2,4", store.Scalar("SELECT group_concat(tag) FROM (SELECT tag FROM tags ORDER BY tag)").AsText);
    }

    [Fact]
    public void A_statement_runs_again_after_the_statement_cache_was_emptied_to_make_room()
    {
        // The 129th distinct text empties the cache (disposing the statements), and the one run last before it must be
        // prepared again, not taken from the store's note of the last statement.
        using var builder = new StoreBuilder().WithSchema(Schema);
        var store = builder.Build();
        var texts = Enumerable.Range(0, 129).Select(i => $"INSERT OR REPLACE INTO items (id, name) VALUES ({i}, ?)").ToArray();
        foreach (var text in texts[..128])
        {
            store.Execute([new Statement(text, [SqlValue.FromText("a")])]);
        }

        store.Execute([new Statement(texts[127], [SqlValue.FromText("a")])]);
        store.Execute([new Statement(texts[128], [SqlValue.FromText("a")])]);
        store.Execute([new Statement(texts[127], [SqlValue.FromText("b")])]);
        Assert.Equal("b", store.Scalar("SELECT name FROM items WHERE id = 127").AsText);
    }

    [Fact]
    public void Delete_and_reinsert_step_the_causal_length_through_even_and_odd()
    {
        using var builder = new StoreBuilder().WithSchema(Schema);
        var store = builder.Build();
        store.Exec("INSERT INTO items (id, name) VALUES (1, 'a')");
        var delete = store.Exec("DELETE FROM items WHERE id = 1");
        var sentinel = Assert.Single(Assert.Single(delete.Changesets).Changes);
        Assert.Equal(Change.SentinelCid, sentinel.Cid);
        Assert.Equal(2, sentinel.Cl);
        Assert.Equal(2, sentinel.ColVersion);
        Assert.Equal(0, store.Scalar("SELECT count(*) FROM items__corro_clock WHERE cid <> '-1'").AsInteger);
        var back = Assert.Single(store.Exec("INSERT INTO items (id, name) VALUES (1, 'b')").Changesets);
        Assert.Equal(new[] { "-1", "name", "qty", "data" }, back.Changes.Select(c => c.Cid));
        Assert.All(back.Changes, c => Assert.Equal(3, c.Cl));
        Assert.Equal(3, back.Changes[0].ColVersion);
        Assert.Equal(SqlValue.FromText("b"), back.Changes[1].Value);
    }

    [Fact]
    public void Replacing_a_live_row_keeps_its_causal_length_and_bumps_every_column()
    {
        using var builder = new StoreBuilder().WithSchema(Schema);
        var store = builder.Build();
        store.Exec("INSERT INTO items (id, name, qty) VALUES (1, 'a', 5)");
        var replaced = Assert.Single(store.Exec("INSERT OR REPLACE INTO items (id, name) VALUES (1, 'b')").Changesets);
        Assert.Equal(new[] { "name", "qty", "data" }, replaced.Changes.Select(c => c.Cid));
        Assert.All(replaced.Changes, c => Assert.Equal(1, c.Cl));
        Assert.All(replaced.Changes, c => Assert.Equal(2, c.ColVersion));
        Assert.Equal(SqlValue.FromInteger(0), replaced.Changes[1].Value);
        Assert.Equal(0, replaced.Seqs.Start);
        Assert.Equal(replaced.LastSeq, replaced.Seqs.End);
    }

    [Fact]
    public void Writes_undone_by_rollback_to_a_savepoint_have_no_version()
    {
        using var builder = new StoreBuilder().WithSchema(Schema);
        var store = builder.Build();
        var result = store.Execute(new[]
        {
            new Statement("SAVEPOINT s"),
            new Statement("INSERT INTO items (id, name) VALUES (1, 'a')"),
            new Statement("ROLLBACK TO s"),
            new Statement("RELEASE s"),
        });
        Assert.Null(result.Version);
        Assert.Empty(result.Changesets);
        Assert.Equal(0, store.CurrentVersion);
        Assert.Equal(1, store.Exec("INSERT INTO items (id) VALUES (2)").Version);
    }

    [Fact]
    public void Cells_written_twice_in_one_transaction_travel_once_with_the_last_value()
    {
        using var builder = new StoreBuilder().WithSchema(Schema);
        var store = builder.Build();
        var result = store.Execute(new[]
        {
            new Statement("INSERT INTO items (id, name) VALUES (1, 'a')"),
            new Statement("UPDATE items SET name = 'b' WHERE id = 1"),
            new Statement("UPDATE items SET id = 2 WHERE id = 1"),
        });
        var changes = result.Changesets.SelectMany(c => c.Changes).ToList();
        Assert.Equal(changes.Select(c => c.Seq).Order(), changes.Select(c => c.Seq));
        var old = changes.Where(c => c.Pk[0] == SqlValue.FromInteger(1)).ToList();
        Assert.Equal(Change.SentinelCid, Assert.Single(old).Cid);
        Assert.Equal(2, old[0].Cl);
        var moved = changes.Where(c => c.Pk[0] == SqlValue.FromInteger(2)).ToList();
        // Cells first, then the new key's sentinel, as cr-sqlite lists them.
        Assert.Equal(new[] { "name", "qty", "data", "-1" }, moved.Select(c => c.Cid));
        Assert.Equal(SqlValue.FromText("b"), moved.Single(c => c.Cid == "name").Value);
    }

    [Fact]
    public void Local_versions_survive_a_restart_as_applied_and_serial()
    {
        using var builder = new StoreBuilder().WithSchema(Schema);
        var options = builder.Options("restart");
        var first = builder.Open(options);
        var site = first.SiteId;
        first.Exec("INSERT INTO items (id, name) VALUES (1, 'a')");
        first.Exec("INSERT INTO items (id, name) VALUES (2, 'b')");
        first.Exec("DELETE FROM items WHERE id = 1");
        first.Dispose();
        var store = builder.Open(options);
        Assert.Equal(site, store.SiteId);
        Assert.Equal(3, store.CurrentVersion);
        Assert.True(store.IsApplied(site, 1));
        Assert.True(store.IsApplied(site, 3));
        Assert.False(store.IsApplied(site, 4));
        var state = store.GetSyncState();
        Assert.Equal(3, state.Heads[site]);
        Assert.False(state.Needs.ContainsKey(site));
        var changes = store.ChangesFor(site, new VersionRange(1, 3));
        Assert.Equal(new long[] { 2, 3 }, changes.OfType<ChangesetFull>().Select(c => c.Version));
        Assert.Equal(new VersionRange(1, 1), Assert.Single(changes.OfType<ChangesetEmpty>()).Versions);
        Assert.Equal(4, store.Exec("INSERT INTO items (id) VALUES (3)").Version);
    }

    [Fact]
    public void An_insert_of_a_key_a_merge_gave_a_clock_row_above_the_local_ones_is_not_taken_for_new()
    {
        // The store remembers the highest clock key its own inserts wrote (new keys above it skip a max(key) read);
        // a merge may write higher ones, so after it a deleted row's key must still find its clock row.
        using var builder = new StoreBuilder().WithSchema(Schema);
        var (local, peer) = (builder.Build(), builder.Build());
        local.Exec("INSERT INTO items (id, name) VALUES (10, 'a')");
        peer.Exec("INSERT INTO items (id, name) VALUES (20, 'b')");
        peer.Exec("DELETE FROM items WHERE id = 20");
        local.Apply(peer.AllChanges());
        Assert.Equal(0, local.Scalar("SELECT count(*) FROM items WHERE id = 20").AsInteger);

        var back = Assert.Single(local.Exec("INSERT INTO items (id, name) VALUES (20, 'c')").Changesets);
        Assert.All(back.Changes, c => Assert.Equal(3, c.Cl));
        Assert.Equal(3, local.Scalar("SELECT col_version FROM items__corro_clock WHERE key = 20 AND cid = '-1'").AsInteger);
    }

    [Fact]
    public void Inserts_after_a_key_change_above_the_highest_key_find_its_clock_row()
    {
        // A key change writes the new key's clock row from its trigger: the remembered highest key rises with it.
        using var builder = new StoreBuilder().WithSchema(Schema);
        var store = builder.Build();
        store.Exec("INSERT INTO items (id, name) VALUES (1, 'a')");
        store.Exec("UPDATE items SET id = 50 WHERE id = 1");
        store.Exec("DELETE FROM items WHERE id = 50");
        var back = Assert.Single(store.Exec("INSERT INTO items (id, name) VALUES (50, 'b')").Changesets);
        Assert.All(back.Changes, c => Assert.Equal(3, c.Cl));
        store.Exec("INSERT INTO items (id, name) VALUES (51, 'c'), (52, 'd')");
        Assert.Equal(3, store.Scalar("SELECT count(*) FROM items__corro_clock WHERE cid = 'name' AND col_version = 1 AND key >= 50").AsInteger);
    }
}
