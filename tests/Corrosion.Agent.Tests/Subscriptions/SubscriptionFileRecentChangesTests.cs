using Corrosion.Agent.Storage;
using Corrosion.Agent.Subscriptions;
using Corrosion.Agent.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Corrosion.Agent.Tests.Subscriptions;

/// <summary>
/// Changes are recorded into <c>recent_changes</c> in recording order and moved into
/// <c>subscription_changes</c> in bulk: by the upkeep once <see cref="SubscriptionFile.MoveEvery"/>
/// changes collect (not inside the recording, whose changes wait to be sent), before the log is read or
/// pruned past them, on close, and on open after a crash left some there.
/// </summary>
public sealed class SubscriptionFileRecentChangesTests
{
    private static readonly string[] Columns = ["id", "v"];

    [Fact]
    public void Changes_collect_in_recent_changes_and_are_moved_by_the_upkeep_once_MoveEvery_collect_and_on_close()
    {
        using var dir = new TempDirectory();
        var path = dir.File("subs.db");
        using (var file = new SubscriptionFile(path))
        {
            Create(file, "s1");
            Create(file, "s2");
            for (var n = 1; n < SubscriptionFile.MoveEvery; n++)
            {
                file.RecordAll([Update(n % 2 == 0 ? "s1" : "s2", changeId: (n + 1) / 2, $"u{n}")], n);
                while (file.UpkeepDue && file.Upkeep())
                {
                    // Folds (every FoldEvery updates of a subscription), as the actor runs them after sending.
                }
            }

            using (var raw = RawSqlite.Open(path))
            {
                Assert.Equal(SubscriptionFile.MoveEvery - 1, RawSqlite.Scalar(raw, "SELECT count(*) FROM recent_changes"));
                Assert.Equal(0, RawSqlite.Scalar(raw, "SELECT count(*) FROM subscription_changes"));
            }

            Assert.False(file.UpkeepDue);
            file.RecordAll([Update("s1", changeId: SubscriptionFile.MoveEvery / 2, "last")], SubscriptionFile.MoveEvery);
            using (var raw = RawSqlite.Open(path))
            {
                // The recording leaves the move to the upkeep, which its owner runs after sending.
                Assert.Equal(SubscriptionFile.MoveEvery, RawSqlite.Scalar(raw, "SELECT count(*) FROM recent_changes"));
            }

            Assert.True(file.UpkeepDue);
            file.Upkeep(); // The move comes first: one piece per call.
            using (var raw = RawSqlite.Open(path))
            {
                Assert.Equal(0, RawSqlite.Scalar(raw, "SELECT count(*) FROM recent_changes"));
                Assert.Equal(SubscriptionFile.MoveEvery, RawSqlite.Scalar(raw, "SELECT count(*) FROM subscription_changes"));
            }

            file.RecordAll([Update("s2", changeId: (SubscriptionFile.MoveEvery / 2) + 1, "after")], SubscriptionFile.MoveEvery + 1);
        }

        using (var raw = RawSqlite.Open(path))
        {
            Assert.Equal(0, RawSqlite.Scalar(raw, "SELECT count(*) FROM recent_changes"));
            Assert.Equal(SubscriptionFile.MoveEvery + 1, RawSqlite.Scalar(raw, "SELECT count(*) FROM subscription_changes"));
        }
    }

    [Fact]
    public void Reading_the_log_sees_the_recent_changes()
    {
        using var dir = new TempDirectory();
        using var file = new SubscriptionFile(dir.File("subs.db"));
        Create(file, "s1");
        file.RecordAll([Update("s1", changeId: 1, "a")], 1_000);
        file.RecordAll([Update("s1", changeId: 2, "b")], 2_000);

        Assert.Equal(["a", "b"], file.ChangesAfter("s1", 0).Select(c => c.Cells[1].AsText));
        Assert.Equal(1, file.LastChangeBefore("s1", 1_500));
        file.RecordAll([Update("s1", changeId: 3, "c")], 3_000);
        Assert.Equal(3, Assert.Single(file.LoadAll()).LastChangeId);
        Assert.Equal("c", Assert.Single(file.LoadAll()).Rows.Single(r => r.RowId == 1).Cells[1].AsText);
    }

    [Fact]
    public void A_crash_leaves_recent_changes_that_load_when_the_file_opens()
    {
        using var dir = new TempDirectory();
        var path = dir.File("subs.db");
        using (var file = new SubscriptionFile(path))
        {
            Create(file, "s1");
            file.RecordAll([Update("s1", changeId: 1, "a")], 1);
        }

        // As a process that crashed after recording a change leaves the file.
        using (var raw = RawSqlite.Open(path))
        {
            using var insert = raw.CreateCommand();
            insert.CommandText = "INSERT INTO recent_changes (sub_id, change_id, kind, row_id, cells, at_ms) VALUES ('s1', 2, $kind, 1, $cells, 2)";
            insert.Parameters.AddWithValue("$kind", (int)ChangeKind.Update | SubscriptionFile.RowInLog);
            insert.Parameters.AddWithValue("$cells", RowCodec.Encode([SqlValue.FromInteger(1), SqlValue.FromText("crashed")]));
            insert.ExecuteNonQuery();
        }

        using var reopened = new SubscriptionFile(path);
        var stored = Assert.Single(reopened.LoadAll());
        Assert.Equal(2, stored.LastChangeId);
        Assert.Equal("crashed", stored.Rows.Single(r => r.RowId == 1).Cells[1].AsText);
        Assert.Equal([1L, 2L], reopened.ChangesAfter("s1", 0).Select(c => c.ChangeId));
    }

    [Fact]
    public void A_prune_reaching_recent_changes_drops_them_too()
    {
        using var dir = new TempDirectory();
        var path = dir.File("subs.db");
        using var file = new SubscriptionFile(path);
        Create(file, "s1");
        for (var n = 1; n <= 4; n++)
        {
            file.RecordAll([Update("s1", changeId: n, $"v{n}")], n);
        }

        // As the actor records with max_change_log = 2: the recording prunes through change 3.
        file.RecordAll([Update("s1", changeId: 5, "v5") with { PruneThrough = 3 }], 5);
        file.RecordAll([Update("s1", changeId: 6, "v6")], 6);

        Assert.Equal([4L, 5L, 6L], file.ChangesAfter("s1", 0).Select(c => c.ChangeId));
        var stored = Assert.Single(file.LoadAll());
        Assert.Equal(3, stored.PrunedThrough);
        Assert.Equal("v6", stored.Rows.Single(r => r.RowId == 1).Cells[1].AsText);
    }

    private static void Create(SubscriptionFile file, string id)
    {
        var rows = Enumerable.Range(1, 2).Select(r => new MaterializedRow(r, RowCodec.Encode([SqlValue.FromInteger(r)]), [SqlValue.FromInteger(r), SqlValue.FromText("initial")])).ToList();
        file.Create(new StoredSubscription(id, new Statement("SELECT id, v FROM t"), "h" + id, Columns, 2, 0, 0, 0, rows), 0);
    }

    private static Recording Update(string id, long changeId, string value)
    {
        SqlValue[] cells = [SqlValue.FromInteger(1), SqlValue.FromText(value)];
        var row = new MaterializedRow(1, RowCodec.Encode([SqlValue.FromInteger(1)]), cells);
        var delta = new ResultDelta([new SubscriptionChange(ChangeKind.Update, 1, cells, changeId)], [row], []);
        return new Recording(id, delta, Columns, 2, changeId, 0, Counters: false);
    }
}
