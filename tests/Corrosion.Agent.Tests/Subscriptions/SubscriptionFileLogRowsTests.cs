using Corrosion.Agent.Storage;
using Corrosion.Agent.Subscriptions;
using Corrosion.Agent.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Corrosion.Agent.Tests.Subscriptions;

/// <summary>
/// A row updated under its row id is written to the change log alone (one page per commit, not
/// two); the rows table is brought up to date from the log every <see cref="SubscriptionFile.FoldEvery"/>
/// such changes and before the log is pruned past them, and loading applies the log after the last
/// fold. A file of the layout before (no <c>folded_through</c>) still loads, and is migrated.
/// </summary>
public sealed class SubscriptionFileLogRowsTests
{
    private static readonly string[] Columns = ["id", "v"];

    [Fact]
    public void Rows_updated_in_place_are_written_to_the_log_alone_and_load_with_their_newest_cells()
    {
        using var dir = new TempDirectory();
        var path = dir.File("subs.db");
        var updates = SubscriptionFile.FoldEvery + 10;
        using (var file = new SubscriptionFile(path))
        {
            Create(file, "s1", rows: 3);
            for (var n = 1; n <= updates; n++)
            {
                file.RecordAll([Update("s1", rowId: (n % 3) + 1, changeId: n, $"u{n}")], n);
                Assert.Equal(n == SubscriptionFile.FoldEvery, file.UpkeepDue);
                if (file.UpkeepDue)
                {
                    // As the actor does after sending: the fold is due, not done inside the recording.
                    using (var raw = RawSqlite.Open(path))
                    {
                        Assert.Equal(0, RawSqlite.Scalar(raw, "SELECT folded_through FROM subscriptions WHERE id = 's1'"));
                    }

                    Assert.False(file.Upkeep());
                }
            }
        }

        using (var raw = RawSqlite.Open(path))
        {
            // Folded once (after FoldEvery updates), then 10 updates in the log alone: those rows' cells in
            // the rows table are older than their newest change.
            Assert.Equal(SubscriptionFile.FoldEvery, RawSqlite.Scalar(raw, "SELECT folded_through FROM subscriptions WHERE id = 's1'"));
            Assert.Equal(updates, RawSqlite.Scalar(raw, $"SELECT count(*) FROM subscription_changes WHERE kind = {(int)ChangeKind.Update | SubscriptionFile.RowInLog}"));
            Assert.Equal(3, RawSqlite.Scalar(raw, $"SELECT count(*) FROM subscription_rows r WHERE cells <> (SELECT cells FROM subscription_changes c WHERE c.row_id = r.row_id ORDER BY change_id DESC LIMIT 1)"));
        }

        using var reopened = new SubscriptionFile(path);
        var stored = Assert.Single(reopened.LoadAll());
        Assert.Equal(
            Enumerable.Range(1, 3).Select(r => $"u{Enumerable.Range(1, updates).Last(n => (n % 3) + 1 == r)}"),
            stored.Rows.OrderBy(r => r.RowId).Select(r => r.Cells[1].AsText));
        Assert.Equal([1L, 2L, 3L], stored.Rows.Select(r => r.RowId).Order());
        Assert.Equal(updates, stored.LastChangeId);
        Assert.All(reopened.ChangesAfter("s1", updates - 5), c => Assert.Equal(ChangeKind.Update, c.Kind));
    }

    [Fact]
    public void Pruning_past_rows_in_the_log_folds_them_into_the_rows_first()
    {
        using var dir = new TempDirectory();
        var path = dir.File("subs.db");
        using (var file = new SubscriptionFile(path))
        {
            Create(file, "s1", rows: 2);
            file.RecordAll([Update("s1", rowId: 1, changeId: 1, "a1")], 1);
            file.RecordAll([Update("s1", rowId: 2, changeId: 2, "b2")], 2);
            file.PruneThrough("s1", 2);
        }

        using (var file = new SubscriptionFile(path))
        {
            Assert.Equal(["a1", "b2"], Assert.Single(file.LoadAll()).Rows.OrderBy(r => r.RowId).Select(r => r.Cells[1].AsText));
            file.RecordAll([Update("s1", rowId: 1, changeId: 3, "a3")], 3);
            // Pruned in the same transaction as the recording (the log's length bound).
            var last = Update("s1", rowId: 2, changeId: 4, "b4");
            file.RecordAll([last with { PruneThrough = 4 }], 4);
        }

        using var reopened = new SubscriptionFile(path);
        var stored = Assert.Single(reopened.LoadAll());
        Assert.Equal(["a3", "b4"], stored.Rows.OrderBy(r => r.RowId).Select(r => r.Cells[1].AsText));
        Assert.Empty(reopened.ChangesAfter("s1", 0));
        Assert.Equal(4, stored.LastChangeId);
    }

    [Fact]
    public void A_row_deleted_after_updates_in_the_log_stays_deleted()
    {
        using var dir = new TempDirectory();
        var path = dir.File("subs.db");
        using (var file = new SubscriptionFile(path))
        {
            Create(file, "s1", rows: 2);
            file.RecordAll([Update("s1", rowId: 1, changeId: 1, "a1")], 1);
            var delete = new ResultDelta([new SubscriptionChange(ChangeKind.Delete, 1, Cells(1, "a1"), 2)], [], [1]);
            file.RecordAll([new Recording("s1", delete, Columns, 2, 2, 0, Counters: false)], 2);
            file.RecordAll([Update("s1", rowId: 2, changeId: 3, "b3")], 3);
        }

        using var reopened = new SubscriptionFile(path);
        var row = Assert.Single(Assert.Single(reopened.LoadAll()).Rows);
        Assert.Equal((2L, "b3"), (row.RowId, row.Cells[1].AsText));
    }

    [Fact]
    public void A_file_of_the_previous_layout_loads_and_gets_the_folded_column()
    {
        using var dir = new TempDirectory();
        var path = dir.File("subs.db");
        using (var old = RawSqlite.Open(path))
        {
            // The layout before rows could live in the log: no folded_through; rows current, kinds 0-2.
            RawSqlite.Exec(old, """
                PRAGMA journal_mode = WAL;
                CREATE TABLE subscriptions (id TEXT PRIMARY KEY, sql TEXT NOT NULL, params BLOB, named_params BLOB, hash TEXT NOT NULL, columns BLOB NOT NULL,
                    last_row_id INTEGER NOT NULL, last_change_id INTEGER NOT NULL, pruned_through INTEGER NOT NULL, last_listener_ms INTEGER NOT NULL);
                CREATE TABLE subscription_rows (sub_id TEXT NOT NULL, row_id INTEGER NOT NULL, key BLOB NOT NULL, cells BLOB NOT NULL, PRIMARY KEY (sub_id, row_id)) WITHOUT ROWID;
                CREATE TABLE subscription_changes (sub_id TEXT NOT NULL, change_id INTEGER NOT NULL, kind INTEGER NOT NULL, row_id INTEGER NOT NULL, cells BLOB NOT NULL,
                    at_ms INTEGER NOT NULL, PRIMARY KEY (sub_id, change_id)) WITHOUT ROWID;
                """);
            using var insert = old.CreateCommand();
            insert.CommandText = """
                INSERT INTO subscriptions VALUES ('s1', 'SELECT id, v FROM t', NULL, NULL, 'h1', $columns, 2, 2, 0, 0);
                INSERT INTO subscription_rows VALUES ('s1', 1, $key, $cells);
                INSERT INTO subscription_changes VALUES ('s1', 1, 0, 2, $gone, 0), ('s1', 2, 2, 2, $gone, 0);
                """;
            insert.Parameters.AddWithValue("$columns", RowCodec.Encode(Columns.Select(SqlValue.FromText).ToArray()));
            insert.Parameters.AddWithValue("$key", RowCodec.Encode([SqlValue.FromInteger(1)]));
            insert.Parameters.AddWithValue("$cells", RowCodec.Encode(Cells(1, "kept")));
            insert.Parameters.AddWithValue("$gone", RowCodec.Encode(Cells(2, "gone")));
            insert.ExecuteNonQuery();
        }

        using (var file = new SubscriptionFile(path))
        {
            var stored = Assert.Single(file.LoadAll());
            var row = Assert.Single(stored.Rows);
            Assert.Equal((1L, "kept"), (row.RowId, row.Cells[1].AsText));
            Assert.Equal(2, stored.LastChangeId);
            Assert.Equal([ChangeKind.Insert, ChangeKind.Delete], file.ChangesAfter("s1", 0).Select(c => c.Kind));
            file.RecordAll([Update("s1", rowId: 1, changeId: 3, "updated")], 3);
        }

        using (var raw = RawSqlite.Open(path))
        {
            Assert.Equal(2, RawSqlite.Scalar(raw, "SELECT folded_through FROM subscriptions WHERE id = 's1'"));
        }

        using var reopened = new SubscriptionFile(path);
        Assert.Equal("updated", Assert.Single(Assert.Single(reopened.LoadAll()).Rows).Cells[1].AsText);
    }

    private static SqlValue[] Cells(long id, string value) => [SqlValue.FromInteger(id), SqlValue.FromText(value)];

    private static void Create(SubscriptionFile file, string id, int rows)
    {
        var materialized = Enumerable.Range(1, rows).Select(r => new MaterializedRow(r, RowCodec.Encode([SqlValue.FromInteger(r)]), Cells(r, "initial"))).ToList();
        file.Create(new StoredSubscription(id, new Statement("SELECT id, v FROM t"), "h" + id, Columns, rows, 0, 0, 0, materialized), 0);
    }

    private static Recording Update(string id, long rowId, long changeId, string value)
    {
        var cells = Cells(rowId, value);
        var row = new MaterializedRow(rowId, RowCodec.Encode([SqlValue.FromInteger(rowId)]), cells);
        var delta = new ResultDelta([new SubscriptionChange(ChangeKind.Update, rowId, cells, changeId)], [row], []);
        return new Recording(id, delta, Columns, 3, changeId, 0, Counters: false);
    }

}
