using Corrosion.Agent.Storage;
using Corrosion.Agent.Subscriptions;
using Corrosion.Agent.Tests.Support;

namespace Corrosion.Agent.Tests.Subscriptions;

/// <summary>
/// The subscription file's log is copied into the file (checkpointed, with its fsyncs) by a
/// connection beside the recording one, and nothing recorded is lost by it.
/// </summary>
public sealed class SubscriptionFileCheckpointTests
{
    // Large enough that one recording writes several pages to the log.
    private static readonly string Payload = new('x', 40_000);

    [Fact]
    public async Task The_log_is_checkpointed_beside_the_recording_connection_and_every_change_is_kept()
    {
        using var dir = new TempDirectory();
        var path = dir.File("subs.db");
        var recordings = 0;
        using (var file = new SubscriptionFile(path))
        {
            file.Create(new StoredSubscription("s1", new Statement("SELECT id, v FROM t"), "h1", ["id", "v"], 0, 0, 0, 0, []), 0);

            // Each recording writes ~20 pages to the log: 1,000 pages (the checkpoint size) come after ~50.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (file.Checkpoints < 2)
            {
                Assert.True(DateTime.UtcNow < deadline, $"no background checkpoint after {recordings} recordings");
                Record(file, ++recordings);
                if (recordings % 50 == 0)
                {
                    await Task.Delay(10);
                }
            }
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
