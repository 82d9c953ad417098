using Corrosion.Agent.Storage;
using Corrosion.Agent.Subscriptions;
using Corrosion.Agent.Tests.Storage;

namespace Corrosion.Agent.Tests.Subscriptions;

public sealed class IncrementalEvaluationTests : IDisposable
{
    private readonly StoreBuilder _stores = new StoreBuilder().WithSchema(IncrementalEvaluationProperties.Schema + "CREATE TABLE readings (at REAL NOT NULL PRIMARY KEY, v INTEGER);");
    private readonly CrdtStore _store;

    public IncrementalEvaluationTests()
    {
        _store = _stores.Build();
        _store.Exec("INSERT INTO teams (name, region) VALUES ('red', 'eu'), ('blue', 'us')");
        _store.Exec("INSERT INTO items (id, name, qty, team) VALUES (1, 'a', 1, 'red'), (2, 'b', 2, 'blue'), (3, 'c', 3, 'red')");
        _store.Exec("INSERT INTO pairs (a, b, v) VALUES ('x', 1, 1), ('x', 2, 2), ('y', 1, 3)");
    }

    public void Dispose() => _stores.Dispose();

    [Fact]
    public void A_write_to_a_table_the_query_does_not_read_is_skipped_without_reading()
    {
        var live = new Live(_store, "SELECT id, name FROM items");
        live.Write("INSERT INTO pairs (a, b, v) VALUES ('z', 9, 9)");

        var (work, delta) = live.Evaluate();

        Assert.Equal(EvaluationKind.Skipped, work.Kind);
        Assert.Empty(delta.Changes);
    }

    [Fact]
    public void A_change_of_only_result_columns_to_a_row_outside_the_result_is_left_out()
    {
        var live = new Live(_store, "SELECT id, qty FROM items WHERE team = 'red'");

        Assert.Equal(1, live.Commit("UPDATE items SET qty = 7 WHERE id = 2"));
        Assert.False(live.Evaluator.HasPending);
        // In the result: its cells change.
        Assert.Equal(0, live.Commit("UPDATE items SET qty = 8 WHERE id = 1"));
        // A filter column changed: it may enter.
        Assert.Equal(0, live.Commit("UPDATE items SET team = 'red' WHERE id = 2"));
        var (work, delta) = live.Evaluate();

        Assert.Equal(EvaluationKind.Keyed, work.Kind);
        Assert.Equal(2, work.KeyCount);
        Assert.Equal([(ChangeKind.Update, 1L, 8L), (ChangeKind.Insert, 2L, 7L)], delta.Changes.Select(c => (c.Kind, c.Cells[0].AsInteger, c.Cells[1].AsInteger)).OrderBy(c => c.Item2));
        Assert.Equal(1, live.Evaluator.KeysLeftOut);
    }

    [Fact]
    public void A_new_row_of_an_unfiltered_query_is_taken_from_the_commit_without_an_evaluation()
    {
        var live = new Live(_store, "SELECT id, name, qty FROM items");

        var delta = live.CommitInPlace("INSERT INTO items (id, name, qty, team) VALUES (9, 'z', 4, 'red')");

        Assert.NotNull(delta);
        var change = Assert.Single(delta.Changes);
        Assert.Equal(ChangeKind.Insert, change.Kind);
        Assert.Equal([SqlValue.FromInteger(9), SqlValue.FromText("z"), SqlValue.FromInteger(4)], change.Cells);
        Assert.False(live.Evaluator.HasPending);
        AssertSameRows(live, "SELECT id, name, qty FROM items");
    }

    [Fact]
    public void A_new_row_of_a_filtered_query_is_still_evaluated()
    {
        var live = new Live(_store, "SELECT id, name, qty FROM items WHERE qty > 0");

        Assert.Null(live.CommitInPlace("INSERT INTO items (id, name, qty, team) VALUES (9, 'z', 4, 'red')"));

        Assert.True(live.Evaluator.HasPending);
    }

    [Fact]
    public void A_row_merged_whole_enters_an_unfiltered_query_and_a_merged_partial_change_is_evaluated()
    {
        using var remotes = new StoreBuilder().WithSchema(IncrementalEvaluationProperties.Schema);
        var remote = remotes.Build();
        var live = new Live(_store, "SELECT * FROM items ORDER BY qty, id");

        var inserted = _store.Apply(remote.Exec("INSERT INTO items (id, name, qty, team) VALUES (9, 'z', 0, 'red')").Changesets);
        var delta = live.Evaluator.NoteInPlace(ChangedRows.OfMerge(inserted, _store.ChangeableColumns, _store.KeysSpeltAlike), live.Result);

        Assert.NotNull(delta);
        Assert.Equal(ChangeKind.Insert, Assert.Single(delta.Changes).Kind);
        Assert.False(live.Evaluator.HasPending);
        Assert.True(live.Result.OrderStale);

        // An update naming some columns of a row this node may not have had: by key, as before.
        var updated = _store.Apply(remote.Exec("UPDATE items SET qty = 7 WHERE id = 9").Changesets);
        Assert.Null(live.Evaluator.NoteInPlace(ChangedRows.OfMerge(updated, _store.ChangeableColumns, _store.KeysSpeltAlike), live.Result));
        Assert.True(live.Evaluator.HasPending);
        live.Evaluate();
        AssertSameRows(live, "SELECT * FROM items ORDER BY qty, id");
    }

    [Fact]
    public void A_row_a_merge_creates_from_a_change_of_some_columns_is_evaluated_not_left_out()
    {
        using var remotes = new StoreBuilder().WithSchema(IncrementalEvaluationProperties.Schema);
        var inserter = remotes.Build();
        var updater = remotes.Build();
        updater.Apply(inserter.Exec("INSERT INTO items (id, name, qty, team) VALUES (9, 'z', 1, 'red')").Changesets);
        var live = new Live(_store, "SELECT id, name, qty FROM items");

        // The update reaches this node before the insert: the merge creates the row, name defaulted.
        var merged = _store.Apply(updater.Exec("UPDATE items SET qty = 5 WHERE id = 9").Changesets);
        Assert.Single(merged.Created);
        live.Evaluator.NoteInPlace(ChangedRows.OfMerge(merged, _store.ChangeableColumns, _store.KeysSpeltAlike), live.Result);

        Assert.True(live.Evaluator.HasPending);
        live.Evaluate();
        AssertSameRows(live, "SELECT id, name, qty FROM items");
    }

    [Fact]
    public void A_whole_row_is_not_taken_while_its_key_is_pending()
    {
        var live = new Live(_store, "SELECT id, name, qty FROM items");
        live.Write("INSERT INTO items (id, name, qty) VALUES (9, 'm', 1)");

        Assert.Null(live.CommitInPlace("INSERT OR REPLACE INTO items (id, name, qty, team) VALUES (9, 'k', 2, NULL)"));

        live.Evaluate();
        AssertSameRows(live, "SELECT id, name, qty FROM items");
    }

    private void AssertSameRows(Live live, string sql)
    {
        var now = _store.EvaluateLiveQuery(new Statement(sql)).Rows.Select(r => string.Join("|", r.Select(v => v.ToString()))).Order(StringComparer.Ordinal);
        var held = live.Result.Rows.Select(r => string.Join("|", r.Cells.Select(v => v.ToString()))).Order(StringComparer.Ordinal);
        Assert.Equal(now, held);
    }

    [Fact]
    public void A_change_of_only_result_columns_to_a_row_in_the_result_updates_it_in_place_without_an_evaluation()
    {
        var live = new Live(_store, "SELECT id, qty FROM items WHERE team = 'red'");

        var delta = live.CommitInPlace("UPDATE items SET qty = 8 WHERE id = 1");

        Assert.NotNull(delta);
        Assert.Equal([(ChangeKind.Update, 1L, 8L)], delta.Changes.Select(c => (c.Kind, c.Cells[0].AsInteger, c.Cells[1].AsInteger)));
        Assert.False(live.Evaluator.HasPending);
        Assert.Equal(1, live.Evaluator.RowsUpdatedInPlace);
        Assert.Equal(8L, live.Result.Rows.Single(r => r.Cells[0].AsInteger == 1).Cells[1].AsInteger);
    }

    [Fact]
    public void A_row_updated_in_place_gets_the_value_in_every_result_column_that_returns_it()
    {
        var live = new Live(_store, "SELECT *, qty FROM items WHERE name = 'a'");

        var delta = live.CommitInPlace("UPDATE items SET qty = 8 WHERE id = 1");

        Assert.NotNull(delta);
        var cells = Assert.Single(delta.Changes).Cells;
        Assert.Equal([1L, 8L, 8L], new[] { cells[0], cells[2], cells[4] }.Select(c => c.AsInteger));
        Assert.Equal("a", cells[1].AsText);
    }

    [Fact]
    public void A_change_of_a_filter_column_or_during_an_evaluation_is_evaluated_not_updated_in_place()
    {
        var live = new Live(_store, "SELECT id, qty FROM items WHERE team = 'red'");

        // team decides whether the row stays: it must be read.
        Assert.Null(live.CommitInPlace("UPDATE items SET qty = 9, team = 'blue' WHERE id = 1"));
        Assert.True(live.Evaluator.HasPending);
        var work = live.Evaluator.Take(live.Result);
        var outcome = _store.ReadLiveQueries(reader => LiveQueryEvaluator.Run(work, reader));
        // While an evaluation runs, its snapshot could put back older cells after an in-place update.
        Assert.Null(live.CommitInPlace("UPDATE items SET qty = 5 WHERE id = 3"));
        Assert.True(live.Evaluator.HasPending);
        live.Evaluator.Complete(outcome, live.Result);
        live.Evaluate();

        Assert.Equal([(3L, 5L)], live.Result.Rows.Select(r => (r.Cells[0].AsInteger, r.Cells[1].AsInteger)));
        Assert.Equal(0, live.Evaluator.RowsUpdatedInPlace);
    }

    [Fact]
    public void A_row_the_running_evaluation_reads_or_a_new_row_is_never_left_out()
    {
        var live = new Live(_store, "SELECT id, qty FROM items WHERE team = 'red'");
        live.Commit("UPDATE items SET team = 'red' WHERE id = 2");
        var work = live.Evaluator.Take(live.Result);
        var outcome = _store.ReadLiveQueries(reader => LiveQueryEvaluator.Run(work, reader));

        // Row 2 is not in the result yet, but the evaluation running now brings it in with the old
        // qty: this change must be evaluated after it.
        Assert.Equal(0, live.Commit("UPDATE items SET qty = 9 WHERE id = 2"));
        // A new row's change names its existence too (all its columns).
        Assert.Equal(0, live.Commit("INSERT INTO items (id, name, qty, team) VALUES (7, 'n', 1, 'blue')"));
        live.Evaluator.Complete(outcome, live.Result);
        live.Evaluate();

        Assert.Equal(9L, live.Result.Rows.Single(r => r.Cells[0].AsInteger == 2).Cells[1].AsInteger);
        Assert.Equal(0, live.Evaluator.KeysLeftOut);
    }

    [Fact]
    public void An_insert_naming_only_result_columns_is_not_left_out()
    {
        // pairs has one value column, v, which the query only returns: an insert's change names v
        // alone (no sentinel), like an update of v, and must still be evaluated.
        var live = new Live(_store, "SELECT a, b, v FROM pairs");
        Assert.NotNull(live.Evaluator.Plan.Tables["pairs"].ResultOnlyColumns);

        Assert.Equal(0, live.Commit("INSERT INTO pairs (a, b, v) VALUES ('q', 5, 1)"));
        live.Evaluate();

        Assert.Contains(live.Result.Rows, r => r.Cells[0].AsText == "q");
    }

    [Theory]
    [InlineData("SELECT id, qty, name FROM items WHERE team = 'red'", "id,name,qty")]
    [InlineData("SELECT i.id, i.qty AS q FROM items i WHERE i.team = 'red' ORDER BY i.id", "qty")]
    [InlineData("SELECT id, qty FROM items WHERE qty > 1", "id")]
    [InlineData("SELECT id, qty * 2 FROM items", "id")]
    [InlineData("SELECT *, qty FROM items WHERE name = 'a'", "qty")]
    [InlineData("SELECT id, \"qty\" FROM items WHERE \"team\" IS NULL ORDER BY qty", "id")]
    [InlineData("SELECT id, team AS qty FROM items WHERE qty = 1", "id,team")]
    [InlineData("SELECT id, qty FROM items WHERE id IN (SELECT b FROM pairs WHERE v = qty)", "")]
    public void Result_only_names_are_those_used_nowhere_but_as_plain_result_columns(string sql, string expected)
    {
        var names = SelectShape.Parse(sql).PlainResultOnlyNames();

        Assert.Equal(expected, string.Join(",", names.Order(StringComparer.Ordinal)));
    }

    [Theory]
    [InlineData("SELECT id, qty FROM items WHERE team = 'red'", true)]
    [InlineData("SELECT id, qty FROM items WHERE team = 'red' ORDER BY id LIMIT 2", false)]
    [InlineData("SELECT i.id, i.qty FROM items i JOIN teams t ON t.name = i.team", false)]
    [InlineData("SELECT DISTINCT id, qty FROM items", false)]
    [InlineData("SELECT a, v FROM pairs WHERE b = 1", false)]
    [InlineData("SELECT a, b, v FROM pairs WHERE b = 1", true)]
    public void Only_a_plain_query_of_one_table_keyed_by_its_whole_key_leaves_rows_out(string sql, bool leaves)
    {
        var live = new Live(_store, sql);

        Assert.Equal(leaves, live.Evaluator.Plan.Tables.Values.Any(t => t.ResultOnlyColumns is not null));
    }

    [Fact]
    public void An_update_is_one_keyed_update_under_the_same_row_id()
    {
        var live = new Live(_store, "SELECT id, name, qty FROM items WHERE qty > 0");
        var rowId = live.Result.Rows.Single(r => r.Cells[0].AsInteger == 2).RowId;
        live.Write("UPDATE items SET qty = 7 WHERE id = 2");

        var (work, delta) = live.Evaluate();

        Assert.Equal(EvaluationKind.Keyed, work.Kind);
        Assert.Equal(1, work.KeyCount);
        var change = Assert.Single(delta.Changes);
        Assert.Equal((ChangeKind.Update, rowId, 7L), (change.Kind, change.RowId, change.Cells[2].AsInteger));
    }

    [Fact]
    public void A_row_leaving_the_filter_is_a_keyed_delete_and_a_new_one_a_keyed_insert()
    {
        var live = new Live(_store, "SELECT id, name, qty FROM items WHERE qty > 1");
        live.Write("UPDATE items SET qty = 0 WHERE id = 2");
        live.Write("INSERT INTO items (id, name, qty) VALUES (9, 'z', 5)");

        var (work, delta) = live.Evaluate();

        Assert.Equal(EvaluationKind.Keyed, work.Kind);
        Assert.Equal([ChangeKind.Delete, ChangeKind.Insert], delta.Changes.Select(c => c.Kind));
        Assert.Equal(2L, delta.Changes[0].Cells[0].AsInteger);
        Assert.Equal(9L, delta.Changes[1].Cells[0].AsInteger);
    }

    [Fact]
    public void A_change_to_a_team_updates_every_joined_row_of_it()
    {
        var live = new Live(_store, "SELECT i.id, t.name, t.region FROM items i JOIN teams t ON t.name = i.team");
        live.Write("UPDATE teams SET region = 'ap' WHERE name = 'red'");

        var (work, delta) = live.Evaluate();

        Assert.Equal(EvaluationKind.Keyed, work.Kind);
        Assert.Equal([1L, 3L], delta.Changes.Select(c => c.Cells[0].AsInteger).Order());
        Assert.All(delta.Changes, c => Assert.Equal((ChangeKind.Update, "ap"), (c.Kind, c.Cells[2].AsText)));
    }

    [Fact]
    public void A_change_to_a_group_re_evaluates_that_group_only()
    {
        var live = new Live(_store, "SELECT a, count(*), total(v) FROM pairs GROUP BY a");
        live.Write("INSERT INTO pairs (a, b, v) VALUES ('x', 3, 10)");

        var (work, delta) = live.Evaluate();

        Assert.Equal(EvaluationKind.Keyed, work.Kind);
        var change = Assert.Single(delta.Changes);
        Assert.Equal(ChangeKind.Update, change.Kind);
        Assert.Equal(("x", 3L, 13.0), (change.Cells[0].AsText, change.Cells[1].AsInteger, change.Cells[2].AsReal));
    }

    [Fact]
    public void More_changed_keys_than_the_limit_re_run_the_query_and_say_so()
    {
        var live = new Live(_store, "SELECT id, qty FROM items", maxKeys: 2);
        live.Write("UPDATE items SET qty = qty + 1");

        var (work, delta) = live.Evaluate();

        Assert.Equal(EvaluationKind.Full, work.Kind);
        Assert.Equal("more than 2 keys changed since the last evaluation", work.Reason);
        Assert.Equal(3, delta.Changes.Count);
    }

    [Fact]
    public void A_change_that_cannot_reach_the_limit_window_is_skipped_and_one_that_can_re_runs()
    {
        var live = new Live(_store, "SELECT id, qty FROM items WHERE qty > 0 ORDER BY qty DESC, id LIMIT 2");
        live.Write("INSERT INTO items (id, name, qty) VALUES (8, 'n', 0)");

        var (check, none) = live.Evaluate();
        Assert.Equal(EvaluationKind.Keyed, check.Kind);
        Assert.True(check.WindowCheck);
        Assert.Equal(EvaluationKind.Skipped, live.Evaluator.Last!.Value.Kind);
        Assert.Empty(none.Changes);

        live.Write("UPDATE items SET qty = 9 WHERE id = 1");
        var (_, delta) = live.Evaluate();
        Assert.Equal(EvaluationKind.Full, live.Evaluator.Last!.Value.Kind);
        Assert.Equal("a changed row now matches and may enter the LIMIT window", live.Evaluator.Last!.Value.Reason);
        Assert.Equal([1L, 3L], live.Result.Rows.Select(r => r.Cells[0].AsInteger));
        Assert.Equal([ChangeKind.Delete, ChangeKind.Insert], delta.Changes.Select(c => c.Kind));
    }

    [Fact]
    public void A_real_primary_key_is_evaluated_by_a_full_run()
    {
        _store.Exec("INSERT INTO readings (at, v) VALUES (1.5, 1)");
        var live = new Live(_store, "SELECT at, v FROM readings");
        live.Write("UPDATE readings SET v = 2 WHERE at = 1.5");

        live.Evaluate();

        Assert.Equal(EvaluationKind.Full, live.Evaluator.Last!.Value.Kind);
        Assert.Contains("REAL or NULL", live.Evaluator.Last!.Value.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Rows_added_by_key_to_an_ordered_query_are_out_of_order_until_the_next_full_run()
    {
        var live = new Live(_store, "SELECT id, name FROM items ORDER BY name DESC");
        live.Write("INSERT INTO items (id, name) VALUES (7, 'zz')");
        live.Evaluate();

        Assert.True(live.Result.OrderStale);

        live.Evaluator.NoteEverything("test");
        live.Evaluate();
        Assert.False(live.Result.OrderStale);
        Assert.Equal(["zz", "c", "b", "a"], live.Result.Rows.Select(r => r.Cells[1].AsText));
    }

    [Fact]
    public void The_info_names_the_strategy_the_reason_per_table_and_what_evaluations_did()
    {
        var live = new Live(_store, "SELECT i.id, t.region FROM items i LEFT JOIN teams t ON t.name = i.team");
        live.Write("UPDATE items SET qty = 5 WHERE id = 1");
        live.Evaluate();
        live.Write("UPDATE teams SET region = 'ap' WHERE name = 'red'");

        var info = SubscriptionInfo.Of("q1", live.Evaluator, live.Result, listeners: 0, evaluating: false);

        Assert.Equal(LiveQueryStrategy.Partial, info.Strategy);
        Assert.Equal([("items", true), ("teams", false)], info.Tables.Select(t => (t.Table, t.Incremental)));
        Assert.Equal("re-runs the query: it is on the NULL side of an outer join", info.Tables[1].Reason);
        Assert.Equal((EvaluationKind.Keyed, 1L, 1), (info.LastEvaluation!.Value, info.KeyedEvaluations, info.PendingKeys));

        live.Evaluate();
        info = SubscriptionInfo.Of("q1", live.Evaluator, live.Result, listeners: 0, evaluating: false);
        Assert.Equal(EvaluationKind.Full, info.LastEvaluation);
        Assert.Equal("teams changed, and a change to it re-runs the query: it is on the NULL side of an outer join", info.LastEvaluationReason);
    }

    [Theory]
    [InlineData("SELECT id, name FROM items WHERE qty > 0 ORDER BY name", "items", "SEARCH")]
    [InlineData("SELECT a, b, v FROM pairs WHERE v IS NOT NULL", "pairs", "SEARCH")]
    [InlineData("SELECT i.id, t.name FROM items i JOIN teams t ON t.name = i.team", "teams", "SEARCH")]
    [InlineData("SELECT a, count(*) FROM pairs GROUP BY a", "pairs", "SEARCH")]
    public void A_keyed_statement_searches_the_key_instead_of_scanning_the_table(string sql, string table, string access)
    {
        var live = new Live(_store, sql);
        var restriction = live.Evaluator.Plan.Tables[table].Restriction!;
        var keys = new[] { restriction.PkPositions.Select(p => p == 0 ? SqlValue.FromText("x") : SqlValue.FromInteger(1)).ToArray() };
        if (table == "items")
        {
            keys = [[SqlValue.FromInteger(1)]];
        }
        else if (table == "teams")
        {
            keys = [[SqlValue.FromText("red")]];
        }

        var statement = live.Evaluator.Plan.KeyedTemplate(restriction, slots: 1, withoutLimit: false);
        var plan = _store.ReadLiveQueries(reader => reader.KeyedRows(new Statement(sql), "EXPLAIN QUERY PLAN " + statement, RestrictedStatement.FirstKeyParameter, keys, slots: 1))
            .Select(r => r[3].AsText)
            .ToList();

        Assert.Contains(plan, line => line.StartsWith($"{access} {(table == "teams" ? "t" : table == "items" && sql.Contains(" i ", StringComparison.Ordinal) ? "i" : table)}", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, line => line.StartsWith("SCAN " + table, StringComparison.Ordinal));
    }

    [Fact]
    public void Keys_bound_to_a_prepared_keyed_statement_match_exactly_their_values()
    {
        SqlValue[] keys = [SqlValue.FromInteger(long.MinValue), SqlValue.FromText("it's"), SqlValue.FromBlob([0, 1, 255]), SqlValue.FromText("ü"), SqlValue.FromText("a\0b")];
        // The statement's own parameters (the rows, and one decoy that is no key) bind before the keys.
        var own = new Statement("SELECT column1 FROM (VALUES (?), (?), (?), (?), (?), (?))", [.. keys, SqlValue.FromInteger(42)]);
        var slots = RestrictedStatement.Slots(keys.Length, 1);
        var sql = RestrictedStatement.Template(own.Sql, 1, [0], slots);

        var rows = _store.ReadLiveQueries(reader => reader.KeyedRows(own, sql, RestrictedStatement.FirstKeyParameter, keys.Select(k => new[] { k }).ToList(), slots));

        Assert.Equal(8, slots);
        Assert.Equal(keys, rows.Select(r => r[0]));
        Assert.False(RestrictedStatement.IsExactKey(SqlValue.FromReal(0.1)));
        Assert.False(RestrictedStatement.IsExactKey(SqlValue.Null));
    }

    private sealed class Live
    {
        private readonly CrdtStore _store;

        public Live(CrdtStore store, string sql, int maxKeys = LiveQueryEvaluator.DefaultMaxKeys)
        {
            _store = store;
            Evaluator = new LiveQueryEvaluator(new Statement(sql), maxKeys);
            Evaluator.Initialize(store.EvaluateLiveQuery(new Statement(sql)), Result);
        }

        public LiveQueryEvaluator Evaluator { get; }

        public MaterializedResult Result { get; } = new();

        public void Write(string sql) => Evaluator.Note(_store.Exec(sql).Changesets.SelectMany(c => c.Changes));

        /// <summary>A local commit, noted as the subscription actor notes it (with the changed columns).</summary>
        public int Commit(string sql) => Evaluator.Note(ChangedRows.Of(_store.Exec(sql).Changesets.SelectMany(c => c.Changes), _store.ChangeableColumns), Result);

        /// <summary>A local commit, noted as the subscription actor notes it for a query with a listener (rows updated in place).</summary>
        public ResultDelta? CommitInPlace(string sql) => Evaluator.NoteInPlace(ChangedRows.Of(_store.Exec(sql).Changesets.SelectMany(c => c.Changes), _store.ChangeableColumns), Result);

        public (EvaluationWork Work, ResultDelta Delta) Evaluate()
        {
            var work = Evaluator.Take(Result);
            var outcome = _store.ReadLiveQueries(reader => LiveQueryEvaluator.Run(work, reader));
            return (work, Evaluator.Complete(outcome, Result));
        }
    }
}
