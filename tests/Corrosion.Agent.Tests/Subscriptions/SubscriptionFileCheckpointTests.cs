using Corrosion.Agent.Storage;
using Corrosion.Agent.Subscriptions;
using Corrosion.Agent.Tests.Support;

namespace Corrosion.Agent.Tests.Subscriptions;

/// <summary>
/// The subscription file's log is copied into the file (checkpointed, with its fsyncs) off the
/// recording thread, and nothing recorded is lost by it.
/// </summary>
public sealed class SubscriptionFileCheckpointTests
{
    // Large enough that one recording writes several pages to the log.
    private static readonly string Payload = new('x', 40_000);

    [Fact]
    public void The_recording_connection_does_not_checkpoint_and_background_checkpoints_keep_every_change()
    {
        using var dir = new TempDirectory();
        var path = dir.File("subs.db");
        const int recordings = (SubscriptionFile.CheckpointEveryCommits * 3) + 7;
        using (var file = new SubscriptionFile(path))
        {
            file.Create(new StoredSubscription("s1", new Statement("SELECT id, v FROM t"), "h1", ["id", "v"], 0, 0, 0, 0, []), 0);

            // Just short of the first background checkpoint: with SQLite's own automatic checkpoint
            // (every 1,000 pages) the writer would have restarted the log well before this size.
            for (var i = 1; i < SubscriptionFile.CheckpointEveryCommits; i++)
            {
                Record(file, i);
            }

            var pageSize = 4096;
            Assert.True(
                new FileInfo(path + "-wal").Length > 1_500L * pageSize,
                $"the log is {new FileInfo(path + "-wal").Length} bytes: the writer checkpointed it itself");
            Assert.Equal(0, file.Checkpoints);

            for (var i = SubscriptionFile.CheckpointEveryCommits; i <= recordings; i++)
            {
                Record(file, i);
                // Deterministic: each checkpoint has finished before the next is due.
                file.WaitForCheckpoint();
            }

            Assert.Equal(3, file.Checkpoints);
        }

        using var reopened = new SubscriptionFile(path);
        var stored = Assert.Single(reopened.LoadAll());
        Assert.Equal(recordings, stored.LastChangeId);
        Assert.Equal(recordings, stored.Rows.Count);
        var changes = reopened.ChangesAfter("s1", 0);
        Assert.Equal(Enumerable.Range(1, recordings).Select(i => (long)i), changes.Select(c => c.ChangeId));
        Assert.All(changes, c => Assert.Equal(Payload, c.Cells[1].AsText));
    }

    private static void Record(SubscriptionFile file, int i)
    {
        var cells = new[] { SqlValue.FromInteger(i), SqlValue.FromText(Payload) };
        var row = new MaterializedRow(i, BitConverter.GetBytes(i), cells);
        var change = new SubscriptionChange(ChangeKind.Insert, i, cells, i);
        var delta = new ResultDelta([change], [row], []);
        file.RecordAll([new Recording("s1", delta, ["id", "v"], i, i, 0)], i);
    }
}
