using System.Threading.Channels;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Subscriptions;

namespace Corrosion.Agent.Tests.Subscriptions;

public sealed class TableWatchersTests
{
    private static readonly ActorId Site = ActorId.NewId();

    [Fact]
    public void One_notification_per_changed_key_with_the_kind_of_its_last_change()
    {
        var watchers = new TableWatchers();
        var stream = watchers.Watch("items", ["id"], 16, _ => { });

        watchers.OnChanges([
            Cell("items", 1, cl: 1), Cell("items", 1, cl: 1), Sentinel("items", 2, cl: 2),
            Cell("other", 3, cl: 1), Sentinel("items", 1, cl: 2),
        ]);

        var received = Drain(stream.Notifications);
        Assert.Equal(
            [(UpdateKind.Delete, 1L), (UpdateKind.Delete, 2L)],
            received.Select(n => (n.Kind, n.Pk[0].AsInteger)));
    }

    [Fact]
    public void Table_names_match_case_insensitively_and_unwatched_tables_cost_nothing()
    {
        var watchers = new TableWatchers();
        var stream = watchers.Watch("Items", ["id"], 16, _ => { });

        watchers.OnChanges([Cell("items", 7, cl: 3)]);
        watchers.Unwatch("items", stream.ListenerId);
        watchers.OnChanges([Cell("items", 8, cl: 1)]);

        Assert.Equal([7L], Drain(stream.Notifications).Select(n => n.Pk[0].AsInteger));
        Assert.True(stream.Notifications.Completion.IsCompletedSuccessfully);
        Assert.Equal(0, watchers.Count);
    }

    [Fact]
    public async Task A_watcher_that_falls_behind_is_ended_alone()
    {
        var watchers = new TableWatchers();
        var slow = watchers.Watch("items", ["id"], 2, _ => { });
        var fast = watchers.Watch("items", ["id"], 16, _ => { });

        watchers.OnChanges([Cell("items", 1, cl: 1), Cell("items", 2, cl: 1), Cell("items", 3, cl: 1)]);

        Assert.Equal(3, Drain(fast.Notifications).Count);
        Assert.Equal(2, Drain(slow.Notifications).Count);
        await Assert.ThrowsAsync<SubscriberTooSlowException>(() => slow.Notifications.Completion);
        Assert.Equal(1, watchers.Count);
    }

    [Fact]
    public async Task Disposing_a_stream_calls_its_detach_once()
    {
        var watchers = new TableWatchers();
        var detached = 0;
        var stream = watchers.Watch("items", ["id"], 4, _ => detached++);

        await stream.DisposeAsync();
        await stream.DisposeAsync();

        Assert.Equal(1, detached);
    }

    private static List<UpdateNotification> Drain(ChannelReader<UpdateNotification> reader)
    {
        var list = new List<UpdateNotification>();
        while (reader.TryRead(out var item))
        {
            list.Add(item);
        }

        return list;
    }

    private static Change Cell(string table, long pk, long cl) =>
        new(table, [SqlValue.FromInteger(pk)], "name", SqlValue.FromText("x"), 1, 1, Site, cl, 0);

    private static Change Sentinel(string table, long pk, long cl) =>
        new(table, [SqlValue.FromInteger(pk)], Change.SentinelCid, SqlValue.Null, cl, 1, Site, cl, 0);
}
