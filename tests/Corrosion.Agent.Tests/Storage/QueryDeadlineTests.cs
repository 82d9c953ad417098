using System.Diagnostics;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Subscriptions;
using Corrosion.Agent.Tests.Subscriptions;

namespace Corrosion.Agent.Tests.Storage;

/// <summary>Found by the HTTP fuzzer: an endless read (a recursive CTE without a bound) ran forever.</summary>
public sealed class QueryDeadlineTests : IDisposable
{
    private const string Endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x, id FROM c, items";
    private readonly StoreBuilder _stores = new StoreBuilder().WithSchema(SubscriptionHarness.Schema);
    private readonly CrdtStore _store;

    public QueryDeadlineTests()
    {
        _store = _stores.Build();
        _store.Exec("INSERT INTO items (id, name, qty, team) VALUES (1, 'a', 2, 'red')");
    }

    public void Dispose() => _stores.Dispose();

    [Fact]
    public void An_endless_query_stops_at_its_timeout_with_an_error()
    {
        var clock = Stopwatch.StartNew();
        using var result = _store.Query(new Statement(Endless), TimeSpan.FromMilliseconds(300));

        var error = Assert.Throws<SqlException>(() => result.Rows.Count());

        Assert.Contains("ran longer than 0.3 s", error.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"took {clock.Elapsed}");
    }

    [Fact]
    public void Time_spent_between_rows_does_not_count_against_the_timeout()
    {
        using var result = _store.Query(new Statement("SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3"), TimeSpan.FromMilliseconds(200));
        var rows = 0;
        foreach (var _ in result.Rows)
        {
            // A slow reader: the query itself takes microseconds.
            Thread.Sleep(150);
            rows++;
        }

        Assert.Equal(3, rows);
    }

    [Fact]
    public void An_endless_live_query_stops_at_its_timeout_and_the_connection_is_usable_again()
    {
        var error = Assert.Throws<SqlException>(() => _store.EvaluateLiveQuery(new Statement(Endless), TimeSpan.FromMilliseconds(300)));

        Assert.Contains("live query ran longer than 0.3 s", error.Message, StringComparison.Ordinal);
        for (var i = 0; i < 8; i++)
        {
            // Every pooled connection lost its deadline with the failed evaluation.
            Assert.Single(_store.EvaluateLiveQuery(new Statement("SELECT id FROM items")).Rows);
        }
    }
}
