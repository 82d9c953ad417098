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

    [Theory]
    [InlineData("NULL", "1", "1")]
    [InlineData("1", "'text'", "'text'")]
    [InlineData("'text'", "x'00'", "X'00'")]
    [InlineData("NULL", "x'00'", "X'00'")]
    [InlineData("2", "1.5", "2")]
    [InlineData("1", "1.5", "1.5")]
    [InlineData("'abc'", "'abd'", "'abd'")]
    [InlineData("x'0102'", "x'02'", "X'02'")]
    public void Merge_prefers_greater_value_at_equal_col_version(string fromA, string fromB, string winner)
    {
        using var builder = new StoreBuilder();
        var (a, b) = SharedRow(builder);
        a.Exec($"UPDATE items SET data = {fromA}, name = 'x' WHERE id = 1");
        b.Exec($"UPDATE items SET data = {fromB}, name = 'x' WHERE id = 1");
        Exchange(a, b);
        Assert.Equal(winner, Cell(a, "data").ToString());
        Assert.Equal(winner, Cell(b, "data").ToString());
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
}
