using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Tests.Storage;

/// <summary>One test per merge rule of DESIGN.md §4, with the expected winner written out.</summary>
public class MergeRuleTests
{
    /// <summary>Two stores that both hold row id 1 (name 'start', data NULL), inserted by <c>a</c>.</summary>
    private static (CrdtStore A, CrdtStore B) SharedRow(StoreBuilder builder)
    {
        var a = builder.Build("a");
        var b = builder.Build("b");
        a.Exec("INSERT INTO items (id, name) VALUES (1, 'start')");
        b.Apply(a.AllChanges());
        return (a, b);
    }

    private static void Exchange(CrdtStore a, CrdtStore b)
    {
        var fromA = a.AllChanges();
        var fromB = b.AllChanges();
        a.Apply(fromB);
        b.Apply(fromA);
        Assert.Equal(a.Snapshot(), b.Snapshot());
    }

    private static SqlValue Cell(CrdtStore store, string column) => store.Scalar($"SELECT {column} FROM items WHERE id = 1");

    [Fact]
    public void Merge_prefers_higher_causal_length()
    {
        using var builder = new StoreBuilder();
        var (a, b) = SharedRow(builder);
        // b updates the name many times (col_version 6, causal length 1); a deletes and re-inserts (causal length 3).
        for (var i = 0; i < 5; i++)
        {
            b.Exec("UPDATE items SET name = ? WHERE id = 1", "b" + i);
        }

        a.Exec("DELETE FROM items WHERE id = 1");
        a.Exec("INSERT INTO items (id, name) VALUES (1, 'reborn')");
        Exchange(a, b);
        Assert.Equal("reborn", Cell(b, "name").AsText);
        Assert.Equal(3, b.Scalar("SELECT col_version FROM items__corro_clock WHERE cid = '-1'").AsInteger);
    }

    [Fact]
    public void Merge_lets_a_delete_beat_a_concurrent_update()
    {
        using var builder = new StoreBuilder();
        var (a, b) = SharedRow(builder);
        a.Exec("DELETE FROM items WHERE id = 1");
        b.Exec("UPDATE items SET name = 'updated', qty = 5 WHERE id = 1");
        Exchange(a, b);
        Assert.Equal(0, a.Scalar("SELECT count(*) FROM items").AsInteger);
        Assert.Equal(0, b.Scalar("SELECT count(*) FROM items").AsInteger);
        Assert.Equal(2, b.Scalar("SELECT col_version FROM items__corro_clock WHERE cid = '-1'").AsInteger);
        Assert.Equal(0, b.Scalar("SELECT count(*) FROM items__corro_clock WHERE cid <> '-1'").AsInteger);
    }

    [Fact]
    public void Merge_resurrects_a_row_reinserted_after_its_delete()
    {
        using var builder = new StoreBuilder();
        var (a, b) = SharedRow(builder);
        a.Exec("DELETE FROM items WHERE id = 1");
        b.Apply(a.AllChanges());
        Assert.Equal(0, b.Scalar("SELECT count(*) FROM items").AsInteger);
        b.Exec("INSERT INTO items (id, name) VALUES (1, 'again')");
        a.Exec("DELETE FROM items WHERE id = 1"); // no-op on a: already deleted
        Exchange(a, b);
        Assert.Equal("again", Cell(a, "name").AsText);
        Assert.Equal(3, a.Scalar("SELECT col_version FROM items__corro_clock WHERE cid = '-1'").AsInteger);
    }

    [Fact]
    public void Merge_prefers_higher_col_version_at_equal_causal_length()
    {
        using var builder = new StoreBuilder();
        var (a, b) = SharedRow(builder);
        a.Exec("UPDATE items SET name = 'a1' WHERE id = 1");
        a.Exec("UPDATE items SET name = 'a2' WHERE id = 1"); // col_version 3
        b.Exec("UPDATE items SET name = 'zzz' WHERE id = 1"); // col_version 2, greater value
        Exchange(a, b);
        Assert.Equal("a2", Cell(b, "name").AsText);
    }

    // cr-sqlite's order (checked against cr-sqlite 0.16 itself, see Corrosion.CrSqlite.Tests):
    // INTEGER > REAL > TEXT > BLOB > NULL, then numerically or byte-wise within a class.
    [Theory]
    [InlineData("NULL", "1", "1")]
    [InlineData("1", "'text'", "1")]
    [InlineData("'text'", "x'00'", "'text'")]
    [InlineData("NULL", "x'00'", "X'00'")]
    [InlineData("2", "1.5", "2")]
    [InlineData("1", "1.5", "1")]
    [InlineData("1000", "'zzz'", "1000")]
    [InlineData("2", "2.5", "2")]
    [InlineData("'a'", "x'ff'", "'a'")]
    [InlineData("1.5", "'9'", "1.5")]
    [InlineData("-1", "1000", "1000")]
    [InlineData("'abc'", "'abd'", "'abd'")]
    [InlineData("'zzz'", "'é'", "'é'")]
    [InlineData("'a'", "'ab'", "'ab'")]
    [InlineData("x'0102'", "x'02'", "X'02'")]
    [InlineData("x''", "x'00'", "X'00'")]
    public void Merge_prefers_greater_value_at_equal_col_version(string fromA, string fromB, string winner)
    {
        using var builder = new StoreBuilder();
        var (a, b) = SharedRow(builder);
        a.Exec($"INSERT INTO pairs (a, b, v) VALUES ('k', 1, {fromA})");
        b.Exec($"INSERT INTO pairs (a, b, v) VALUES ('k', 1, {fromB})");
        Exchange(a, b);
        Assert.Equal(winner, a.Scalar("SELECT v FROM pairs").ToString());
        Assert.Equal(winner, b.Scalar("SELECT v FROM pairs").ToString());
    }

    [Fact]
    public void Merge_prefers_greater_site_id_at_equal_value()
    {
        using var builder = new StoreBuilder();
        var (a, b) = SharedRow(builder);
        a.Exec("UPDATE items SET name = 'same' WHERE id = 1");
        b.Exec("UPDATE items SET name = 'same' WHERE id = 1");
        Exchange(a, b);
        var greater = a.SiteId > b.SiteId ? a.SiteId : b.SiteId;
        var site = a.Scalar("SELECT hex(s.site_id) FROM items__corro_clock c JOIN __corro_sites s ON s.ordinal = c.site WHERE c.cid = 'name'").AsText;
        Assert.Equal(Convert.ToHexString(greater.ToByteArray()), site);
    }

    [Fact]
    public void Merge_ignores_lower_causal_length()
    {
        using var builder = new StoreBuilder();
        var (a, b) = SharedRow(builder);
        var stale = a.AllChanges();
        a.Exec("DELETE FROM items WHERE id = 1");
        var c = builder.Build("c");
        c.Apply(a.AllChanges().Where(cs => cs is ChangesetFull { Version: 2 }).ToList());
        c.Apply(stale);
        Assert.Equal(0, c.Scalar("SELECT count(*) FROM items").AsInteger);
        Assert.Equal(2, c.Scalar("SELECT col_version FROM items__corro_clock WHERE cid = '-1'").AsInteger);
    }

    [Fact]
    public void Primary_key_change_is_a_delete_plus_an_insert()
    {
        using var builder = new StoreBuilder();
        var (a, b) = SharedRow(builder);
        var result = a.Exec("UPDATE items SET id = 2 WHERE id = 1");
        var changes = Assert.Single(result.Changesets).Changes;
        Assert.Contains(changes, c => c.IsSentinel && c.Pk[0] == SqlValue.FromInteger(1) && c.Cl == 2);
        Assert.Contains(changes, c => c.IsSentinel && c.Pk[0] == SqlValue.FromInteger(2) && c.Cl == 1);
        Exchange(a, b);
        Assert.Equal("2|'start'", string.Join("|", b.Rows("SELECT id, name FROM items").Single().Select(v => v.ToString())));
    }

    // Issue 12, case 1: INTEGER 2 and REAL 2.0 compare equal as numbers; a tie-break that calls
    // them equal leaves each replica with its own forever.
    [Fact]
    public void Replicas_converge_on_integer_2_against_real_2_point_0()
    {
        using var builder = new StoreBuilder();
        var a = builder.Build("a");
        var b = builder.Build("b");
        a.Exec("INSERT INTO pairs (a, b, v) VALUES ('k', 1, 2)");
        b.Exec("INSERT INTO pairs (a, b, v) VALUES ('k', 1, 2.0)");
        Exchange(a, b);
        Assert.Equal("integer", a.Scalar("SELECT typeof(v) FROM pairs").AsText);
        Assert.Equal("integer", b.Scalar("SELECT typeof(v) FROM pairs").AsText);
    }

    // Issue 12, case 2: at equal causal length and col_version the storage class decides first.
    [Fact]
    public void Merge_tie_break_puts_the_storage_class_before_the_value()
    {
        Assert.True(SqlValue.FromInteger(-5) > SqlValue.FromReal(1e300));
        Assert.True(SqlValue.FromReal(-1e300) > SqlValue.FromText("zzz"));
        Assert.True(SqlValue.FromText(string.Empty) > SqlValue.FromBlob([0xff]));
        Assert.True(SqlValue.FromBlob([]) > SqlValue.Null);
        Assert.NotEqual(0, SqlValue.FromInteger(2).CompareTo(SqlValue.FromReal(2.0)));
        Assert.NotEqual(0, SqlValue.FromReal(0.0).CompareTo(SqlValue.FromReal(-0.0)));
        Assert.Equal(0, SqlValue.FromText("é").CompareTo(SqlValue.FromText("é")));
    }

    // Issue 12, case 3: a row deleted and re-inserted (causal length 3), then INSERT OR REPLACE on
    // one node while another updates a column: the REPLACE raises the causal length to 5 and wins,
    // as in cr-sqlite.
    [Theory]
    [InlineData("INSERT OR REPLACE INTO items (id, name) VALUES (1, 'replaced')")]
    [InlineData("REPLACE INTO items (id, name) VALUES (1, 'replaced')")]
    public void Replace_of_a_reinserted_row_raises_the_causal_length_by_two_and_beats_a_concurrent_update(string replace)
    {
        using var builder = new StoreBuilder();
        var (a, b) = SharedRow(builder);
        a.Exec("DELETE FROM items WHERE id = 1");
        a.Exec("INSERT INTO items (id, name) VALUES (1, 'again')");
        Exchange(a, b);
        a.Exec(replace);
        b.Exec("UPDATE items SET name = 'updated', qty = 7 WHERE id = 1");
        Exchange(a, b);
        Assert.Equal("replaced", Cell(b, "name").AsText);
        Assert.Equal(0, Cell(b, "qty").AsInteger);
        Assert.Equal(5, b.Scalar("SELECT col_version FROM items__corro_clock WHERE cid = '-1'").AsInteger);
    }

    // cr-sqlite keeps the causal length when the replaced row was never deleted (it has no
    // sentinel), so there the concurrent update's higher column versions may win.
    [Fact]
    public void Replace_of_a_row_never_deleted_keeps_causal_length_one()
    {
        using var builder = new StoreBuilder();
        var (a, b) = SharedRow(builder);
        a.Exec("INSERT OR REPLACE INTO items (id, name) VALUES (1, 'replaced')");
        b.Exec("UPDATE items SET name = 'u1' WHERE id = 1");
        b.Exec("UPDATE items SET name = 'u2' WHERE id = 1");
        Exchange(a, b);
        Assert.Equal("u2", Cell(a, "name").AsText);
        // No sentinel: causal length 1 is implied by the cells, as in cr-sqlite.
        Assert.Equal(0, a.Scalar("SELECT count(*) FROM items__corro_clock WHERE cid = '-1'").AsInteger);
    }

    // An upsert that updates (ON CONFLICT DO UPDATE) fires the update trigger only, in cr-sqlite
    // as here: the causal length stays and only changed columns get a new version.
    [Fact]
    public void Upsert_of_a_reinserted_row_is_an_update()
    {
        using var builder = new StoreBuilder();
        var (a, b) = SharedRow(builder);
        a.Exec("DELETE FROM items WHERE id = 1");
        a.Exec("INSERT INTO items (id, name, qty) VALUES (1, 'again', 1)");
        Exchange(a, b);
        var upsert = a.Exec("INSERT INTO items (id, name, qty) VALUES (1, 'upserted', 1) ON CONFLICT (id) DO UPDATE SET name = excluded.name, qty = excluded.qty");
        var change = Assert.Single(Assert.Single(upsert.Changesets).Changes);
        Assert.Equal(("name", 3L, 2L), (change.Cid, change.Cl, change.ColVersion));
    }
}
