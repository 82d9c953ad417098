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

    [Fact]
    public void A_resurrected_row_is_an_update()
    {
        var watchers = new TableWatchers();
        var stream = watchers.Watch("items", ["id"], 16, _ => { });

        watchers.OnChanges([Sentinel("items", 3, cl: 3), Cell("items", 3, cl: 3)]);

        Assert.Equal(UpdateKind.Update, Assert.Single(Drain(stream.Notifications)).Kind);
    }

    [Fact]
    public void The_same_key_in_two_calls_is_notified_twice_and_keys_keep_their_first_seen_order()
    {
        var watchers = new TableWatchers();
        var stream = watchers.Watch("items", ["id"], 16, _ => { });

        watchers.OnChanges([Cell("items", 2, cl: 1), Cell("items", 1, cl: 1), Cell("items", 2, cl: 1)]);
        watchers.OnChanges([Cell("items", 2, cl: 1)]);

        Assert.Equal([2L, 1L, 2L], Drain(stream.Notifications).Select(n => n.Pk[0].AsInteger));
    }

    [Fact]
    public void Composite_keys_are_compared_value_by_value()
    {
        var watchers = new TableWatchers();
        var stream = watchers.Watch("pairs", ["a", "b"], 16, _ => { });
        static Change Pair(long a, string b) =>
            new("pairs", [SqlValue.FromInteger(a), SqlValue.FromText(b)], "v", SqlValue.Null, 1, 1, Site, 1, 0);

        watchers.OnChanges([Pair(1, "x"), Pair(1, "y"), Pair(1, "x")]);

        Assert.Equal(
            [[SqlValue.FromInteger(1), SqlValue.FromText("x")], [SqlValue.FromInteger(1), SqlValue.FromText("y")]],
            Drain(stream.Notifications).Select(n => n.Pk.ToArray()));
    }

    [Fact]
    public void Every_watcher_of_a_table_gets_every_key_and_other_tables_get_none()
    {
        var watchers = new TableWatchers();
        var first = watchers.Watch("items", ["id"], 16, _ => { });
        var second = watchers.Watch("items", ["id"], 16, _ => { });
        var users = watchers.Watch("users", ["id"], 16, _ => { });

        watchers.OnChanges([Cell("items", 1, cl: 1)]);

        Assert.Single(Drain(first.Notifications));
        Assert.Single(Drain(second.Notifications));
        Assert.Empty(Drain(users.Notifications));
        Assert.NotEqual(first.ListenerId, second.ListenerId);
    }

    [Fact]
    public void Unwatching_an_unknown_listener_or_table_changes_nothing()
    {
        var watchers = new TableWatchers();
        var stream = watchers.Watch("items", ["id"], 16, _ => { });

        watchers.Unwatch("items", stream.ListenerId + 1);
        watchers.Unwatch("users", stream.ListenerId);

        Assert.Equal(1, watchers.Count);
        Assert.False(stream.Notifications.Completion.IsCompleted);
    }

    [Fact]
    public async Task Closing_ends_every_watcher_with_the_reason()
    {
        var watchers = new TableWatchers();
        var items = watchers.Watch("items", ["id"], 16, _ => { });
        var users = watchers.Watch("users", ["id"], 16, _ => { });

        watchers.CloseAll("stopping");

        Assert.Equal("stopping", (await Assert.ThrowsAsync<ChannelClosedException>(() => items.Notifications.Completion)).Message);
        await Assert.ThrowsAsync<ChannelClosedException>(() => users.Notifications.Completion);
        Assert.Equal(0, watchers.Count);
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
