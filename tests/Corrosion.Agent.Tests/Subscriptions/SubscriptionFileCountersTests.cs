using Corrosion.Agent.Storage;
using Corrosion.Agent.Subscriptions;
using Corrosion.Agent.Tests.Support;

namespace Corrosion.Agent.Tests.Subscriptions;

/// <summary>
/// A recording that moves neither the columns nor the last row id leaves the counters row alone:
/// the last change id is then the newest change logged, and survives pruning the log.
/// </summary>
public sealed class SubscriptionFileCountersTests
{
    [Fact]
    public void The_last_change_id_is_the_newest_change_logged_when_the_counters_were_not_rewritten()
    {
        using var dir = new TempDirectory();
        var path = dir.File("subs.db");
        using (var file = new SubscriptionFile(path))
        {
            file.Create(new StoredSubscription("s1", new Statement("SELECT id, v FROM t"), "h1", ["id", "v"], 0, 0, 0, 0, []), 0);
            Record(file, changeId: 1, ChangeKind.Insert, counters: true);
            Record(file, changeId: 2, ChangeKind.Update, counters: false);
            Record(file, changeId: 3, ChangeKind.Update, counters: false);
        }

        using var reopened = new SubscriptionFile(path);
        var stored = Assert.Single(reopened.LoadAll());
        Assert.Equal(3, stored.LastChangeId);
        Assert.Equal(1, stored.LastRowId);
        Assert.Equal("v3", Assert.Single(stored.Rows).Cells[1].AsText);
    }

    [Fact]
    public void Pruning_the_whole_log_keeps_the_last_change_id()
    {
        using var dir = new TempDirectory();
        var path = dir.File("subs.db");
        using (var file = new SubscriptionFile(path))
        {
            file.Create(new StoredSubscription("s1", new Statement("SELECT id, v FROM t"), "h1", ["id", "v"], 0, 0, 0, 0, []), 0);
            Record(file, changeId: 1, ChangeKind.Insert, counters: true);
            Record(file, changeId: 2, ChangeKind.Update, counters: false);
            file.PruneThrough("s1", 2);
        }

        using var reopened = new SubscriptionFile(path);
        var stored = Assert.Single(reopened.LoadAll());
        Assert.Equal(2, stored.LastChangeId);
        Assert.Equal(2, stored.PrunedThrough);
        Assert.Empty(reopened.ChangesAfter("s1", 0));
    }

    private static void Record(SubscriptionFile file, long changeId, ChangeKind kind, bool counters)
    {
        var cells = new[] { SqlValue.FromInteger(1), SqlValue.FromText($"v{changeId}") };
        var row = new MaterializedRow(1, [1], cells);
        var delta = new ResultDelta([new SubscriptionChange(kind, 1, cells, changeId)], [row], []);
        file.RecordAll([new Recording("s1", delta, ["id", "v"], 1, changeId, 0, counters)], changeId);
    }
}
