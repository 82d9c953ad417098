using Corrosion.Agent.Storage;
using Corrosion.Agent.Subscriptions;
using Corrosion.Agent.Tests.Storage;

namespace Corrosion.Agent.Tests.Subscriptions;

public sealed class LiveQueryIndexTests : IDisposable
{
    private readonly StoreBuilder _stores = new StoreBuilder().WithSchema(IncrementalEvaluationProperties.Schema);
    private readonly CrdtStore _store;
    private readonly LiveQueryIndex _index = new();

    public LiveQueryIndexTests()
    {
        _store = _stores.Build();
        _store.Exec("INSERT INTO items (id, name, qty, team) VALUES (1, 'a', 1, 'red'), (2, 'b', 2, 'blue'), (3, 'c', 3, 'red'), (4, 'd', 4, 'green')");
    }

    public void Dispose() => _stores.Dispose();

    [Fact]
    public void A_change_of_result_columns_concerns_only_the_settled_queries_whose_result_holds_the_row()
    {
        var red = Subscribe("SELECT id, qty FROM items WHERE team = 'red'");
        var blue = Subscribe("SELECT id, qty FROM items WHERE team = 'blue'");
        var none = Subscribe("SELECT id, qty FROM items WHERE team = 'none'");

        // Unsettled at first: every query of the table is visited once, and settles.
        Assert.Equal(3, Commit("UPDATE items SET qty = 10 WHERE id = 2").Count);
        Assert.Equal(0, _index.Unsettled);

        Assert.Equal([red], Commit("UPDATE items SET qty = 11 WHERE id = 1"));
        Assert.Equal([blue], Commit("UPDATE items SET qty = 12 WHERE id = 2"));
        Assert.Empty(Commit("UPDATE items SET qty = 13 WHERE id = 4"));
        // A filter column: it may bring the row into any of them.
        Assert.Equal(3, Commit("UPDATE items SET team = 'none' WHERE id = 4").Count);
        foreach (var subscription in new[] { red, blue, none }.Where(s => s.Evaluator.HasPending))
        {
            Evaluate(subscription);
        }

        // Evaluated: visited once more to settle, then only where the row is.
        Assert.Equal(3, Commit("UPDATE items SET qty = 14 WHERE id = 4").Count);
        Assert.Equal([none], Commit("UPDATE items SET qty = 15 WHERE id = 4"));
        Assert.Equal(15L, none.Result.Rows.Single().Cells[1].AsInteger);
        Assert.Equal([red], Commit("UPDATE items SET qty = 16 WHERE id = 3"));
    }

    [Fact]
    public void A_query_with_pending_changes_is_visited_until_it_is_quiet_again()
    {
        var red = Subscribe("SELECT id, qty FROM items WHERE team = 'red'");
        Commit("UPDATE items SET qty = 10 WHERE id = 2");
        Assert.Empty(Commit("UPDATE items SET qty = 13 WHERE id = 4"));

        red.Evaluator.NoteEverything("test");

        Assert.Equal([red], Commit("UPDATE items SET qty = 14 WHERE id = 4"));
        Evaluate(red);
        Assert.Equal([red], Commit("UPDATE items SET qty = 15 WHERE id = 4"));
        Assert.Empty(Commit("UPDATE items SET qty = 16 WHERE id = 4"));
    }

    [Fact]
    public void Random_writes_through_the_index_keep_every_result_equal_to_the_query_now()
    {
        var queries = new[]
        {
            "SELECT id, qty FROM items WHERE team = 'red'",
            "SELECT id, qty FROM items WHERE team = 'blue'",
            "SELECT id, name, qty FROM items WHERE qty > 5",
            "SELECT id, qty FROM items",
            "SELECT team, count(*) FROM items GROUP BY team",
            "SELECT id, qty FROM items WHERE team IS NULL",
        };
        var subscriptions = queries.Select(Subscribe).ToList();
        string[] teams = ["'red'", "'blue'", "'green'", "NULL"];
        var random = new Random(13);
        var skipped = 0;
        for (var i = 0; i < 300; i++)
        {
            var id = random.Next(1, 12);
            var sql = random.Next(10) switch
            {
                < 6 => $"UPDATE items SET qty = {random.Next(10)} WHERE id = {id}",
                6 => $"UPDATE items SET team = {teams[random.Next(teams.Length)]} WHERE id = {id}",
                7 => $"DELETE FROM items WHERE id = {id}",
                _ => $"INSERT OR REPLACE INTO items (id, name, qty, team) VALUES ({id}, 'n', {random.Next(10)}, {teams[random.Next(teams.Length)]})",
            };
            var visited = Commit(sql);
            skipped += subscriptions.Count - visited.Count;
            foreach (var subscription in subscriptions.Where(s => s.Evaluator.HasPending))
            {
                Evaluate(subscription);
            }

            foreach (var subscription in subscriptions)
            {
                var now = _store.EvaluateLiveQuery(subscription.Statement).Rows.Select(Text).Order(StringComparer.Ordinal);
                Assert.Equal(now, subscription.Result.Rows.Select(r => Text(r.Cells)).Order(StringComparer.Ordinal));
            }
        }

        // The index did leave queries out (else this proves nothing about it).
        Assert.True(skipped > 300, $"only {skipped} visits were left out");
    }

    private static string Text(SqlValue[] cells) => string.Join("|", cells.Select(c => $"{c.Kind}:{c}"));

    private LiveSubscription Subscribe(string sql)
    {
        var statement = new Statement(sql);
        var result = new MaterializedResult();
        var subscription = new LiveSubscription(sql, statement, sql, [], result, prunedThrough: 0);
        _index.Add(subscription);
        var first = _store.EvaluateLiveQuery(statement);
        subscription.Evaluator.Initialize(first, result);
        subscription.Tables = new HashSet<string>(first.Tables.Keys, StringComparer.OrdinalIgnoreCase);
        return subscription;
    }

    /// <summary>A local commit, noted as the subscription actor notes it (listeners attached): returns the queries visited.</summary>
    private List<LiveSubscription> Commit(string sql)
    {
        var changed = ChangedRows.Of(_store.Exec(sql).Changesets.SelectMany(c => c.Changes), _store.ChangeableColumns);
        var visited = _index.Candidates(changed).ToList();
        foreach (var subscription in visited)
        {
            subscription.Evaluator.NoteInPlace(changed, subscription.Result);
            _index.Settle(subscription);
        }

        return visited;
    }

    private void Evaluate(LiveSubscription subscription)
    {
        var work = subscription.Evaluator.Take(subscription.Result);
        var outcome = _store.ReadLiveQueries(reader => LiveQueryEvaluator.Run(work, reader));
        subscription.Evaluator.Complete(outcome, subscription.Result);
    }
}
