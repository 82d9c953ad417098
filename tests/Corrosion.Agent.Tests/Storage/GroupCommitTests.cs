using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Tests.Storage;

/// <summary>The store side of group commit: several transactions, one SQLite commit (issue 13).</summary>
public class GroupCommitTests
{
    private static IReadOnlyList<Statement> Tx(params string[] sql) => sql.Select(s => new Statement(s)).ToList();

    [Fact]
    public void Each_transaction_of_a_group_gets_its_own_version_in_order()
    {
        using var builder = new StoreBuilder();
        var store = builder.Build();
        var outcomes = store.ExecuteGroup([
            Tx("INSERT INTO items (id, name) VALUES (1, 'a')"),
            Tx("INSERT INTO items (id, name) VALUES (2, 'b')", "UPDATE items SET qty = 3 WHERE id = 1"),
            Tx("INSERT INTO items (id, name) VALUES (3, 'c')"),
        ]);
        Assert.Equal(new long?[] { 1, 2, 3 }, outcomes.Select(o => o.Result!.Version));
        Assert.Equal(3, store.CurrentVersion);
        var second = Assert.Single(outcomes[1].Result!.Changesets);
        Assert.Equal(2, second.Version);
        Assert.Equal(new[] { "name", "qty", "data", "qty" }, second.Changes.Select(c => c.Cid));
        Assert.All(outcomes, o => Assert.Null(o.Error));
        var copy = builder.Build();
        copy.Apply(outcomes.SelectMany(o => o.Result!.Changesets).ToList());
        Assert.Equal(store.Snapshot(), copy.Snapshot());
    }

    [Fact]
    public void A_failing_transaction_rolls_back_alone_with_its_own_error()
    {
        using var builder = new StoreBuilder();
        var store = builder.Build();
        store.Exec("INSERT INTO items (id, name) VALUES (1, 'existing')");
        var outcomes = store.ExecuteGroup([
            Tx("INSERT INTO items (id, name) VALUES (2, 'first')"),
            Tx("UPDATE items SET name = 'lost' WHERE id = 2", "INSERT INTO items (id, name) VALUES (1, 'duplicate')"),
            Tx("INSERT INTO items (id, name) VALUES (3, 'third')"),
        ]);
        Assert.True(outcomes[0].Committed);
        Assert.False(outcomes[1].Committed);
        Assert.Equal(1, outcomes[1].Error!.StatementIndex);
        Assert.Contains("UNIQUE", outcomes[1].Error!.Message, StringComparison.Ordinal);
        // The failed one takes no version: the next one gets the version after the first.
        Assert.Equal(new long?[] { 2, null, 3 }, outcomes.Select(o => o.Result?.Version));
        Assert.Equal("existing|first|third", string.Join("|", store.Rows("SELECT name FROM items ORDER BY id").Select(r => r[0].AsText)));
        var state = store.GetSyncState();
        Assert.Equal(3, state.Heads[store.SiteId]);
        Assert.Empty(state.Needs);
        Assert.Equal(3, store.ChangesFor(store.SiteId, new VersionRange(1, 3)).OfType<ChangesetFull>().Count());
    }

    [Fact]
    public void A_transaction_that_changes_no_replicated_row_takes_no_version()
    {
        using var builder = new StoreBuilder();
        var store = builder.Build();
        var outcomes = store.ExecuteGroup([
            Tx("UPDATE items SET name = 'x' WHERE id = 42"),
            Tx("INSERT INTO items (id) VALUES (1)"),
        ]);
        Assert.Null(outcomes[0].Result!.Version);
        Assert.Equal(1, outcomes[1].Result!.Version);
    }

    [Fact]
    public void A_group_is_durable_as_a_whole_and_survives_a_restart()
    {
        using var builder = new StoreBuilder();
        var options = builder.Options("durable");
        using (var store = CrdtStore.Open(options))
        {
            store.ExecuteGroup([Tx("INSERT INTO items (id) VALUES (1)"), Tx("INSERT INTO items (id) VALUES (1)"), Tx("INSERT INTO items (id) VALUES (2)")]);
        }

        using var again = CrdtStore.Open(options);
        Assert.Equal(2, again.CurrentVersion);
        Assert.Equal(2, again.Scalar("SELECT count(*) FROM items").AsInteger);
        Assert.Equal(3, again.Exec("INSERT INTO items (id) VALUES (3)").Version);
    }

    [Fact]
    public void A_transaction_of_a_group_may_use_its_own_savepoints()
    {
        using var builder = new StoreBuilder();
        var store = builder.Build();
        var outcomes = store.ExecuteGroup([
            Tx("SAVEPOINT mine", "INSERT INTO items (id) VALUES (1)", "ROLLBACK TO mine", "INSERT INTO items (id) VALUES (2)", "RELEASE mine"),
            Tx("INSERT INTO items (id) VALUES (3)"),
        ]);
        Assert.All(outcomes, o => Assert.True(o.Committed));
        Assert.Equal("2|3", string.Join("|", store.Rows("SELECT id FROM items ORDER BY id").Select(r => r[0].ToString())));
    }
}
