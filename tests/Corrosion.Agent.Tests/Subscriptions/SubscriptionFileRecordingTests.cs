using Corrosion.Agent.Storage;
using Corrosion.Agent.Subscriptions;
using Corrosion.Agent.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Corrosion.Agent.Tests.Subscriptions;

/// <summary>
/// <see cref="SubscriptionFile.RecordAll"/> on its prepared statements: a batch is recorded whole or
/// not at all, the file records again after a failure, another connection's write lock is waited
/// out, and deleted rows and pruning land in the same transaction.
/// </summary>
public sealed class SubscriptionFileRecordingTests
{
    private static readonly string[] Columns = ["id", "v"];

    [Fact]
    public void A_batch_with_a_failing_recording_is_rolled_back_whole_and_the_file_records_again()
    {
        using var dir = new TempDirectory();
        var path = dir.File("subs.db");
        using var file = new SubscriptionFile(path);
        Create(file, "s1");
        Create(file, "bad");
        file.RecordAll([Recording("s1", changeId: 1, ChangeKind.Insert, "v1")], 1);
        using (var other = RawSqlite.Open(path, timeoutSeconds: 1))
        {
            RawSqlite.Exec(other, "CREATE TRIGGER refuse BEFORE INSERT ON recent_changes WHEN NEW.sub_id = 'bad' BEGIN SELECT RAISE(ABORT, 'refused'); END;");
        }

        var error = Assert.Throws<SqlException>(() => file.RecordAll([Recording("s1", changeId: 2, ChangeKind.Update, "v2"), Recording("bad", changeId: 1, ChangeKind.Insert, "x")], 2));
        Assert.Contains("refused", error.Message, StringComparison.Ordinal);
        Assert.Equal([1L], file.ChangesAfter("s1", 0).Select(c => c.ChangeId));

        file.RecordAll([Recording("s1", changeId: 2, ChangeKind.Update, "v2b")], 3);
        Assert.Equal([1L, 2L], file.ChangesAfter("s1", 0).Select(c => c.ChangeId));
        var stored = file.LoadAll().Single(s => s.Id == "s1");
        Assert.Equal("v2b", Assert.Single(stored.Rows).Cells[1].AsText);
        Assert.Empty(file.LoadAll().Single(s => s.Id == "bad").Rows);
    }

    [Fact]
    public async Task A_recording_waits_for_another_connection_holding_the_write_lock()
    {
        using var dir = new TempDirectory();
        var path = dir.File("subs.db");
        using var file = new SubscriptionFile(path);
        Create(file, "s1");
        using var other = RawSqlite.Open(path, timeoutSeconds: 1);
        RawSqlite.Exec(other, "BEGIN IMMEDIATE;");
        var recording = Task.Run(() => file.RecordAll([Recording("s1", changeId: 1, ChangeKind.Insert, "v1")], 1));

        // While the other connection holds the write lock the recording waits (busy_timeout) and does not finish;
        // without a busy timeout it fails at once with "database is locked".
        var first = await Task.WhenAny(recording, Task.Delay(TimeSpan.FromMilliseconds(300)));
        Assert.False(first == recording, $"the recording ended ({recording.Status}) while another connection held the write lock");
        RawSqlite.Exec(other, "COMMIT;");
        await recording.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal([1L], file.ChangesAfter("s1", 0).Select(c => c.ChangeId));
    }

    [Fact]
    public void Deleted_rows_and_pruning_are_recorded_with_the_changes()
    {
        using var dir = new TempDirectory();
        var path = dir.File("subs.db");
        using (var file = new SubscriptionFile(path))
        {
            Create(file, "s1");
            file.RecordAll([Recording("s1", changeId: 1, ChangeKind.Insert, "v1"), Recording("s1", changeId: 2, ChangeKind.Update, "v2")], 1);
            var delete = new ResultDelta([new SubscriptionChange(ChangeKind.Delete, 1, [SqlValue.FromInteger(1), SqlValue.FromText("v2")], 3)], [], [1]);
            file.RecordAll([new Recording("s1", delete, Columns, 1, 3, PruneThrough: 2)], 2);
        }

        using var reopened = new SubscriptionFile(path);
        var stored = Assert.Single(reopened.LoadAll());
        Assert.Empty(stored.Rows);
        Assert.Equal(3, stored.LastChangeId);
        Assert.Equal(2, stored.PrunedThrough);
        var change = Assert.Single(reopened.ChangesAfter("s1", 2));
        Assert.Equal(ChangeKind.Delete, change.Kind);
    }

    private static void Create(SubscriptionFile file, string id) =>
        file.Create(new StoredSubscription(id, new Statement("SELECT id, v FROM t WHERE x = '" + id + "'"), "h" + id, Columns, 0, 0, 0, 0, []), 0);

    private static Recording Recording(string id, long changeId, ChangeKind kind, string value)
    {
        var cells = new[] { SqlValue.FromInteger(1), SqlValue.FromText(value) };
        var delta = new ResultDelta([new SubscriptionChange(kind, 1, cells, changeId)], [new MaterializedRow(1, [1], cells)], []);
        return new Recording(id, delta, Columns, 1, changeId, 0, Counters: true);
    }
}
