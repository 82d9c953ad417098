using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Tests.Storage;

/// <summary>
/// A local transaction's timeout (the API gives every transaction one: api.default_timeout) is enforced by SQLite's
/// progress handler on the writer, set for the transaction and removed after it.
/// </summary>
public sealed class TransactionDeadlineTests
{
    // Runs until interrupted: an unbounded recursive query.
    private static readonly Statement Endless = new("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n");

    // Long enough to reach the progress handler many times (some ten thousand VM instructions), quick to finish.
    private static readonly Statement Bounded = new("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 10000) SELECT count(*) FROM n");

    private static Statement Insert(long id) => new("INSERT INTO items (id, name) VALUES (?, ?)", [SqlValue.FromInteger(id), SqlValue.FromText("n")]);

    [Fact]
    public void The_timeout_still_interrupts_after_many_transactions_and_collections()
    {
        using var builder = new StoreBuilder();
        var store = builder.Build();
        for (var i = 0; i < 300; i++)
        {
            Assert.NotNull(store.Execute([Insert(i), Bounded], TimeSpan.FromSeconds(30)).Version);
            if (i % 100 == 0)
            {
                // Whatever holds the handler's state must survive collections (a collected delegate would crash here).
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        }

        var error = Assert.Throws<StatementException>(() => store.Execute([Insert(1000), Endless], TimeSpan.FromMilliseconds(50)));
        Assert.Equal(1, error.StatementIndex);
        Assert.Contains("interrupt", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(300, store.Scalar("SELECT count(*) FROM items").AsInteger);
    }

    [Fact]
    public void A_transaction_without_a_timeout_is_not_interrupted_by_an_earlier_ones_deadline()
    {
        using var builder = new StoreBuilder();
        var store = builder.Build();
        Assert.Throws<StatementException>(() => store.Execute([Endless], TimeSpan.FromMilliseconds(20)));
        // The handler of the interrupted transaction is gone: its deadline has passed, so it would stop this one at once.
        Assert.NotNull(store.Execute([Insert(1), Bounded]).Version);
        Assert.NotNull(store.Execute([Insert(2), Bounded], TimeSpan.FromSeconds(30)).Version);
        Assert.NotNull(store.Execute([Insert(3), Bounded]).Version);
        Assert.Equal(3, store.Scalar("SELECT count(*) FROM items").AsInteger);
    }

    [Fact]
    public void In_a_group_each_transaction_has_its_own_deadline()
    {
        using var builder = new StoreBuilder();
        var store = builder.Build();
        for (var g = 0; g < 100; g++)
        {
            Assert.All(store.ExecuteGroup([[Insert(2 * g), Bounded], [Insert(2 * g + 1)]], TimeSpan.FromSeconds(30)), o => Assert.Null(o.Error));
        }

        var outcomes = store.ExecuteGroup([[Insert(1000)], [Insert(1001), Endless], [Insert(1002), Bounded]], TimeSpan.FromMilliseconds(100));
        Assert.Null(outcomes[0].Error);
        Assert.Contains("interrupt", outcomes[1].Error!.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Null(outcomes[2].Error);
        Assert.Equal([1000L, 1002L], store.Rows("SELECT id FROM items WHERE id >= 1000 ORDER BY id").Select(r => r[0].AsInteger));
    }

    [Fact]
    public void A_timeout_allocates_nothing_per_transaction()
    {
        using var builder = new StoreBuilder();
        var store = builder.Build();
        // The least a transaction allocated, with and without a timeout (the least: a list or table the store grows
        // now and then does not count). Same statement shapes, ids of the same size.
        long Least(TimeSpan? timeout, long first)
        {
            var statements = Enumerable.Range(0, 300).Select(i => (IReadOnlyList<Statement>)[Insert(first + i)]).ToList();
            var least = long.MaxValue;
            foreach (var tx in statements)
            {
                var before = GC.GetAllocatedBytesForCurrentThread();
                store.Execute(tx, timeout);
                least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
            }

            return least;
        }

        Least(TimeSpan.FromSeconds(30), 100_000);
        Least(null, 200_000);
        var without = Least(null, 300_000);
        var with = Least(TimeSpan.FromSeconds(30), 400_000);
        Assert.True(with <= without, $"a transaction with a timeout allocated {with} bytes, without {without}");
    }
}
