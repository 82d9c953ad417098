using Corrosion.Agent.Storage;
using Corrosion.Agent.Subscriptions;
using Corrosion.Agent.Tests.Storage;
using FsCheck;
using FsCheck.Fluent;

namespace Corrosion.Agent.Tests.Subscriptions;

/// <summary>
/// Property: after any sequence of writes, applying a subscription's event stream to its initial rows
/// gives exactly the result of running the query now (as a multiset of rows), for single-table
/// queries, joins, aggregates and queries whose rows have no unique key.
/// </summary>
public sealed class LiveQueryProperties
{
    public static readonly string[] Queries =
    [
        "SELECT id, name, qty, team FROM items",
        "SELECT i.id, i.name, t.name, t.region FROM items i JOIN teams t ON t.name = i.team",
        "SELECT i.id, t.region FROM items i LEFT JOIN teams t ON t.name = i.team WHERE i.qty >= 1",
        "SELECT team, count(*), sum(qty) FROM items GROUP BY team",
        "SELECT t.region, count(i.id), max(i.name) FROM teams t LEFT JOIN items i ON i.team = t.name GROUP BY t.region",
        "SELECT count(*), total(qty) FROM items",
        "SELECT team, qty FROM items",
        "SELECT name FROM items WHERE team IN (SELECT name FROM teams WHERE region = 'eu') ORDER BY name LIMIT 2",
    ];

    private static readonly string[] Names = ["NULL", "'a'", "'b'", "'c'"];
    private static readonly string[] Teams = ["NULL", "'red'", "'blue'", "'green'"];
    private static readonly string[] Regions = ["NULL", "'eu'", "'us'"];

    public sealed record Op(int Kind, int Id, int A, int B);

    public sealed record Scenario(IReadOnlyList<Op> Ops, IReadOnlyList<int> Cuts)
    {
        public override string ToString() => string.Join("; ", Ops.Select(Sql)) + " | evaluate after " + string.Join(",", Cuts);
    }

    public static string Sql(Op op) => op.Kind switch
    {
        0 => $"INSERT OR REPLACE INTO items (id, name, qty, team) VALUES ({op.Id}, {Names[op.A % Names.Length]}, {op.B}, {Teams[op.B % Teams.Length]})",
        1 => $"UPDATE items SET qty = qty + {op.B} WHERE id = {op.Id}",
        2 => $"UPDATE items SET team = {Teams[op.A % Teams.Length]}, name = {Names[op.B % Names.Length]} WHERE id = {op.Id}",
        3 => $"DELETE FROM items WHERE id = {op.Id}",
        4 => $"INSERT OR REPLACE INTO teams (name, region) VALUES ({Teams[1 + (op.A % 3)]}, {Regions[op.B % Regions.Length]})",
        5 => $"DELETE FROM teams WHERE name = {Teams[1 + (op.A % 3)]}",
        _ => $"UPDATE OR IGNORE items SET id = {op.A % 5} WHERE id = {op.Id}",
    };

    private static Gen<Scenario> Scenarios() =>
        from ops in Gen.ListOf(
            from kind in Gen.Choose(0, 6)
            from id in Gen.Choose(0, 4)
            from a in Gen.Choose(0, 5)
            from b in Gen.Choose(0, 3)
            select new Op(kind, id, a, b)).Resize(30)
        from cuts in Gen.ListOf(Gen.Choose(0, 30)).Resize(8)
        select new Scenario(ops, cuts);

    [Fact]
    public void Applying_the_diffs_to_the_initial_rows_gives_the_current_result()
    {
        var property = Prop.ForAll(Arb.From(Scenarios()), scenario =>
        {
            using var stores = new StoreBuilder().WithSchema(SubscriptionHarness.Schema);
            var store = stores.Build();
            store.Exec("INSERT INTO teams (name, region) VALUES ('red', 'eu'), ('blue', 'us')");
            store.Exec("INSERT INTO items (id, name, qty, team) VALUES (1, 'a', 1, 'red'), (2, 'b', 2, 'blue'), (3, 'a', 1, NULL)");
            var live = Queries.Select(q => new LiveModel(store, q)).ToList();
            var cuts = scenario.Cuts.ToHashSet();
            for (var i = 0; i < scenario.Ops.Count; i++)
            {
                store.Exec(Sql(scenario.Ops[i]));
                if (cuts.Contains(i))
                {
                    live.ForEach(m => m.Refresh());
                }
            }

            foreach (var model in live)
            {
                model.Refresh();
                var expected = SubscriptionHarness.Rendered(store.Rows(model.Sql));
                if (!expected.SequenceEqual(model.Copy.Rendered))
                {
                    throw new InvalidOperationException($"{model.Sql}: expected [{string.Join(", ", expected)}], client has [{string.Join(", ", model.Copy.Rendered)}]");
                }
            }

            return true;
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(150), property);
    }

    [Fact]
    public void Rows_keep_their_row_id_while_their_primary_key_stays_in_the_result()
    {
        var property = Prop.ForAll(Arb.From(Scenarios()), scenario =>
        {
            using var stores = new StoreBuilder().WithSchema(SubscriptionHarness.Schema);
            var store = stores.Build();
            var model = new LiveModel(store, Queries[0]);
            var idOf = new Dictionary<long, long>();
            foreach (var op in scenario.Ops)
            {
                store.Exec(Sql(op));
                foreach (var change in model.Refresh())
                {
                    var pk = change.Cells[0].AsInteger;
                    switch (change.Kind)
                    {
                        case ChangeKind.Insert:
                            if (!idOf.TryAdd(pk, change.RowId))
                            {
                                throw new InvalidOperationException($"pk {pk} inserted twice");
                            }

                            break;
                        case ChangeKind.Update when idOf[pk] != change.RowId:
                            throw new InvalidOperationException($"pk {pk} moved from row {idOf[pk]} to {change.RowId}");
                        case ChangeKind.Delete:
                            idOf.Remove(pk);
                            break;
                    }
                }
            }

            return true;
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(100), property);
    }

    /// <summary>One live query driven directly (no actor): evaluate, diff, apply to a client copy.</summary>
    private sealed class LiveModel
    {
        private readonly CrdtStore _store;
        private readonly MaterializedResult _result = new();

        public LiveModel(CrdtStore store, string sql)
        {
            _store = store;
            Sql = sql;
            var first = store.EvaluateLiveQuery(new Statement(sql));
            _result.Apply(first.Rows, RowIdentity.KeyColumns(first.Columns, first.Tables), numberChanges: false);
            Copy = new ClientCopy(_result.Rows.Select(r => new QueryRow(r.RowId, r.Cells)), 0);
        }

        public string Sql { get; }

        public ClientCopy Copy { get; }

        public IReadOnlyList<SubscriptionChange> Refresh()
        {
            var next = _store.EvaluateLiveQuery(new Statement(Sql));
            var delta = _result.Apply(next.Rows, RowIdentity.KeyColumns(next.Columns, next.Tables));
            foreach (var change in delta.Changes)
            {
                Copy.Apply(change);
            }

            return delta.Changes;
        }
    }
}
