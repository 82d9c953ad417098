using Corrosion.Agent.Storage;
using Corrosion.Agent.Subscriptions;
using Corrosion.Agent.Tests.Storage;

namespace Corrosion.Agent.Tests.Subscriptions;

public sealed class LiveQueryPlannerTests : IDisposable
{
    private readonly StoreBuilder _stores = new StoreBuilder().WithSchema(IncrementalEvaluationProperties.Schema);
    private readonly CrdtStore _store;

    public LiveQueryPlannerTests() => _store = _stores.Build();

    public void Dispose() => _stores.Dispose();

    [Fact]
    public void A_filtered_single_table_query_with_its_key_is_incremental_by_primary_key()
    {
        var plan = Plan("SELECT name, id FROM items WHERE qty > 2 ORDER BY name");

        Assert.Equal(LiveQueryStrategy.Incremental, plan.Strategy);
        Assert.Equal([1], plan.Tables["items"].Restriction!.Columns);
        Assert.True(plan.Ordered);
        Assert.Contains("items: re-evaluates the rows of the changed keys (id)", plan.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void An_inner_join_is_incremental_on_both_sides_when_both_keys_are_in_the_result()
    {
        var plan = Plan("SELECT i.id, t.name, t.region FROM items i JOIN teams t ON t.name = i.team");

        Assert.Equal(LiveQueryStrategy.Incremental, plan.Strategy);
        Assert.Equal([0], plan.Tables["items"].Restriction!.Columns);
        Assert.Equal([1], plan.Tables["teams"].Restriction!.Columns);
    }

    [Fact]
    public void The_null_side_of_an_outer_join_re_runs_the_query()
    {
        var plan = Plan("SELECT i.id, t.name FROM items i LEFT JOIN teams t ON t.name = i.team");

        Assert.Equal(LiveQueryStrategy.Partial, plan.Strategy);
        Assert.True(plan.Tables["items"].Incremental);
        Assert.Equal("re-runs the query: it is on the NULL side of an outer join", plan.Tables["teams"].Reason);
    }

    [Fact]
    public void A_group_by_on_a_key_prefix_is_incremental_by_group()
    {
        var plan = Plan("SELECT a, count(*), total(v) FROM pairs GROUP BY a");

        Assert.Equal(LiveQueryStrategy.Incremental, plan.Strategy);
        var restriction = plan.Tables["pairs"].Restriction!;
        Assert.Equal([0], restriction.Columns);
        Assert.Equal([0], restriction.PkPositions);
        Assert.Contains("groups", plan.Tables["pairs"].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_group_by_on_a_non_key_column_re_runs_the_query()
    {
        var plan = Plan("SELECT team, count(*) FROM items GROUP BY team");

        Assert.Equal(LiveQueryStrategy.FullRerun, plan.Strategy);
        Assert.Contains("groups a change leaves cannot be named", plan.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Order_by_with_limit_is_the_window_strategy_and_limit_alone_re_runs()
    {
        Assert.Equal(LiveQueryStrategy.Window, Plan("SELECT id, qty FROM items ORDER BY qty DESC, id LIMIT 10").Strategy);
        var plain = Plan("SELECT id, qty FROM items LIMIT 10");
        Assert.Equal(LiveQueryStrategy.FullRerun, plain.Strategy);
        Assert.Contains("LIMIT without ORDER BY", plain.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SELECT name, qty FROM items", "its primary key (id) is not in the result")]
    [InlineData("SELECT count(*) FROM items", "an aggregate without GROUP BY")]
    [InlineData("SELECT a.id, b.id FROM items a JOIN items b ON a.qty = b.qty", "appears 2 times in FROM")]
    [InlineData("SELECT id FROM items WHERE qty < (SELECT count(*) FROM items)", "read inside a subquery")]
    [InlineData("SELECT id, sum(qty) OVER () FROM items", "window function")]
    public void A_query_that_cannot_be_evaluated_by_key_says_why(string sql, string reason)
    {
        var plan = Plan(sql);

        Assert.Equal(LiveQueryStrategy.FullRerun, plan.Strategy);
        Assert.Contains(reason, plan.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_table_read_only_in_a_subquery_re_runs_while_the_outer_table_stays_keyed()
    {
        var plan = Plan("SELECT id, name FROM items WHERE team IN (SELECT name FROM teams WHERE region = 'eu')");

        Assert.Equal(LiveQueryStrategy.Partial, plan.Strategy);
        Assert.True(plan.Tables["items"].Incremental);
        Assert.Equal("re-runs the query: it is read inside a subquery", plan.Tables["teams"].Reason);
    }

    private LiveQueryPlan Plan(string sql)
    {
        var result = _store.EvaluateLiveQuery(new Statement(sql));
        return LiveQueryPlanner.Plan(sql, result.Columns, result.Tables, RowIdentity.KeyColumns(result.Columns, result.Tables));
    }
}
