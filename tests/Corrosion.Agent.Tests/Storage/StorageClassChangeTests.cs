using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Tests.Storage;

/// <summary>
/// A local write that changes only a value's storage class (INTEGER 3 to REAL 3.0, TEXT 'abc' to
/// BLOB x'616263') is a change: the value order is total (DESIGN.md §4), so SQLite's numeric
/// equality must not decide "did this column change". The chaos run with seed 15 ended with one
/// node holding REAL 3.0 and the others INTEGER 3 under identical clocks, which sync never repairs.
/// </summary>
public class StorageClassChangeTests
{
    // pairs.v has no declared type, so it keeps every storage class as written.
    private static (CrdtStore A, CrdtStore B) SharedPair(StoreBuilder builder, string initial)
    {
        var a = builder.Build("a");
        var b = builder.Build("b");
        a.Exec($"INSERT INTO pairs (a, b, v) VALUES ('k', 1, {initial})");
        b.Apply(a.AllChanges());
        return (a, b);
    }

    private static void Exchange(CrdtStore a, CrdtStore b)
    {
        var fromA = a.AllChanges();
        var fromB = b.AllChanges();
        a.Apply(fromB);
        b.Apply(fromA);
    }

    private static string Cell(CrdtStore store) => store.Scalar("SELECT typeof(v) || ' ' || quote(v) FROM pairs").AsText;

    [Theory]
    [InlineData("3", "UPDATE pairs SET v = CAST(3 AS REAL) WHERE a = 'k' AND b = 1", "real 3.0")]
    [InlineData("3", "INSERT INTO pairs (a, b, v) VALUES ('k', 1, CAST(3 AS REAL)) ON CONFLICT (a, b) DO UPDATE SET v = excluded.v", "real 3.0")]
    [InlineData("3", "INSERT OR REPLACE INTO pairs (a, b, v) VALUES ('k', 1, CAST(3 AS REAL))", "real 3.0")]
    [InlineData("3.0", "UPDATE pairs SET v = 3 WHERE a = 'k' AND b = 1", "integer 3")]
    [InlineData("'abc'", "UPDATE pairs SET v = x'616263' WHERE a = 'k' AND b = 1", "blob X'616263'")]
    [InlineData("x'616263'", "UPDATE pairs SET v = 'abc' WHERE a = 'k' AND b = 1", "text 'abc'")]
    public void Local_write_that_changes_only_the_storage_class_is_replicated(string initial, string write, string expected)
    {
        using var builder = new StoreBuilder();
        var (a, b) = SharedPair(builder, initial);

        var result = a.Exec(write);

        var change = Assert.Single(Assert.Single(result.Changesets).Changes, c => c.Cid == "v");
        Assert.Equal(2, change.ColVersion);
        b.Apply(a.AllChanges());
        Assert.Equal(expected, Cell(a));
        Assert.Equal(expected, Cell(b));
        Assert.Equal(a.Snapshot(), b.Snapshot());
    }

    // The chaos case: a merged b's INTEGER 3, then acknowledged its own REAL 3.0 over it; before
    // the fix a kept REAL 3.0 under b's clock and b kept INTEGER 3, for good.
    [Fact]
    public void Replicas_converge_after_real_3_point_0_is_written_over_a_merged_integer_3()
    {
        using var builder = new StoreBuilder();
        var (a, b) = SharedPair(builder, "1");
        b.Exec("UPDATE pairs SET v = 3 WHERE a = 'k' AND b = 1");
        a.Apply(b.AllChanges());
        a.Exec("UPDATE pairs SET v = CAST(3 AS REAL) WHERE a = 'k' AND b = 1");

        Exchange(a, b);

        Assert.Equal("real 3.0", Cell(a));
        Assert.Equal("real 3.0", Cell(b));
        Assert.Equal(a.Snapshot(), b.Snapshot());
    }

    // 0.0 and -0.0 are equal numbers but different values (SqlValue orders them by their bits).
    [Fact]
    public void Local_write_of_negative_zero_over_zero_is_replicated()
    {
        using var builder = new StoreBuilder();
        var (a, b) = SharedPair(builder, "0.0");

        var result = a.Exec("UPDATE pairs SET v = ?1 WHERE a = 'k' AND b = 1", -0.0);

        Assert.Equal(2, Assert.Single(Assert.Single(result.Changesets).Changes).ColVersion);
        b.Apply(a.AllChanges());
        Assert.True(double.IsNegative(b.Scalar("SELECT v FROM pairs").AsReal));
    }

    // `IS` compares text with the column's collation: under NOCASE 'abc' and 'ABC' look equal.
    [Fact]
    public void Local_write_that_changes_only_the_case_under_a_nocase_collation_is_replicated()
    {
        using var builder = new StoreBuilder().WithSchema("CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT COLLATE NOCASE);");
        var a = builder.Build("a");
        var b = builder.Build("b");
        a.Exec("INSERT INTO notes (id, title) VALUES (1, 'abc')");
        b.Apply(a.AllChanges());

        var result = a.Exec("UPDATE notes SET title = 'ABC' WHERE id = 1");

        Assert.Equal(2, Assert.Single(Assert.Single(result.Changesets).Changes).ColVersion);
        b.Apply(a.AllChanges());
        Assert.Equal("ABC", b.Scalar("SELECT title FROM notes").AsText);
    }

    [Fact]
    public void Writing_the_identical_value_again_is_not_a_change()
    {
        using var builder = new StoreBuilder();
        var (a, _) = SharedPair(builder, "3");
        foreach (var again in new[] { "UPDATE pairs SET v = 3 WHERE a = 'k' AND b = 1", "UPDATE pairs SET v = v + 0 WHERE a = 'k' AND b = 1" })
        {
            var result = a.Exec(again);
            Assert.Null(result.Version);
            Assert.Empty(result.Changesets);
        }
    }
}
