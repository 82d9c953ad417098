using System.Threading.Channels;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Subscriptions;

namespace Corrosion.Agent.Tests.Subscriptions;

public sealed class TableWatchersTests
{
    private static readonly ActorId Site = ActorId.FromGuid(new Guid("6f1a2c4e-0000-4000-8000-000000000001"));

    private readonly List<UpdateStream> _detached = [];

    private TableWatchers NewWatchers() => new(_detached.Add);

    private static Change Cell(string table, long id, string column, long cl = 1, long seq = 0) =>
        new(table, [SqlValue.FromInteger(id)], column, SqlValue.FromText("v"), 1, 1, Site, cl, seq);

    private static Change Sentinel(string table, long id, long cl, long seq = 0) =>
        new(table, [SqlValue.FromInteger(id)], Change.SentinelCid, SqlValue.Null, cl, 1, Site, cl, seq);

    private static List<UpdateNotification> Drain(UpdateStream stream)
    {
        var list = new List<UpdateNotification>();
        while (stream.Notifications.TryRead(out var n))
        {
            list.Add(n);
        }

        return list;
    }

    private static long Id(UpdateNotification n) => n.Pk.Single().AsInteger;

    [Fact]
    public void A_changed_cell_of_a_watched_table_is_an_update_of_its_key()
    {
        var watchers = NewWatchers();
        var stream = watchers.Watch("items", ["id"], 16);

        watchers.OnChanges([Sentinel("items", 7, cl: 1), Cell("items", 7, "name")]);

        var notification = Assert.Single(Drain(stream));
        Assert.Equal(UpdateKind.Update, notification.Kind);
        Assert.Equal(7, Id(notification));
        Assert.Equal("items", stream.Table);
        Assert.Equal(["id"], stream.KeyColumns);
    }

    [Fact]
    public void A_sentinel_with_an_even_causal_length_is_a_delete()
    {
        var watchers = NewWatchers();
        var stream = watchers.Watch("items", ["id"], 16);

        watchers.OnChanges([Sentinel("items", 3, cl: 2)]);

        var notification = Assert.Single(Drain(stream));
        Assert.Equal(UpdateKind.Delete, notification.Kind);
        Assert.Equal(3, Id(notification));
    }

    [Fact]
    public void A_resurrected_row_is_an_update()
    {
        var watchers = NewWatchers();
        var stream = watchers.Watch("items", ["id"], 16);

        watchers.OnChanges([Sentinel("items", 3, cl: 3), Cell("items", 3, "name", cl: 3)]);

        Assert.Equal(UpdateKind.Update, Assert.Single(Drain(stream)).Kind);
    }

    [Fact]
    public void Keys_are_notified_once_per_call_in_first_seen_order_with_their_last_kind()
    {
        var watchers = NewWatchers();
        var stream = watchers.Watch("items", ["id"], 16);

        watchers.OnChanges([
            Cell("items", 1, "name", seq: 0),
            Cell("items", 2, "name", seq: 1),
            Cell("items", 1, "data", seq: 2),
            Sentinel("items", 2, cl: 2, seq: 3),
        ]);

        var notifications = Drain(stream);
        Assert.Equal([1L, 2L], notifications.Select(Id));
        Assert.Equal([UpdateKind.Update, UpdateKind.Delete], notifications.Select(n => n.Kind));
    }

    [Fact]
    public void The_same_key_in_two_calls_is_notified_twice()
    {
        var watchers = NewWatchers();
        var stream = watchers.Watch("items", ["id"], 16);

        watchers.OnChanges([Cell("items", 1, "name")]);
        watchers.OnChanges([Cell("items", 1, "name")]);

        Assert.Equal(2, Drain(stream).Count);
    }

    [Fact]
    public void Changes_of_other_tables_are_not_notified()
    {
        var watchers = NewWatchers();
        var items = watchers.Watch("items", ["id"], 16);
        var users = watchers.Watch("users", ["id"], 16);

        watchers.OnChanges([Cell("users", 5, "name"), Cell("orders", 6, "total")]);

        Assert.Empty(Drain(items));
        Assert.Equal(5, Id(Assert.Single(Drain(users))));
    }

    [Fact]
    public void Table_names_match_without_regard_to_case_as_in_sqlite()
    {
        var watchers = NewWatchers();
        var stream = watchers.Watch("Items", ["id"], 16);

        watchers.OnChanges([Cell("items", 1, "name")]);

        Assert.Single(Drain(stream));
    }

    [Fact]
    public void Composite_keys_are_compared_value_by_value()
    {
        var watchers = NewWatchers();
        var stream = watchers.Watch("pairs", ["a", "b"], 16);
        Change Pair(long a, string b, long seq) =>
            new("pairs", [SqlValue.FromInteger(a), SqlValue.FromText(b)], "v", SqlValue.FromInteger(seq), 1, 1, Site, 1, seq);

        watchers.OnChanges([Pair(1, "x", 0), Pair(1, "y", 1), Pair(1, "x", 2)]);

        var notifications = Drain(stream);
        Assert.Equal(2, notifications.Count);
        Assert.Equal([SqlValue.FromInteger(1), SqlValue.FromText("x")], notifications[0].Pk);
        Assert.Equal([SqlValue.FromInteger(1), SqlValue.FromText("y")], notifications[1].Pk);
    }

    [Fact]
    public void Every_watcher_of_a_table_gets_every_key()
    {
        var watchers = NewWatchers();
        var first = watchers.Watch("items", ["id"], 16);
        var second = watchers.Watch("items", ["id"], 16);

        watchers.OnChanges([Cell("items", 1, "name")]);

        Assert.Single(Drain(first));
        Assert.Single(Drain(second));
        Assert.NotEqual(first.ListenerId, second.ListenerId);
        Assert.Equal(2, watchers.Count);
    }

    [Fact]
    public async Task A_watcher_that_overflows_its_buffer_ends_with_too_slow_and_is_dropped_without_affecting_others()
    {
        var watchers = NewWatchers();
        var slow = watchers.Watch("items", ["id"], 2);
        var fast = watchers.Watch("items", ["id"], 100);

        watchers.OnChanges([Cell("items", 1, "name"), Cell("items", 2, "name"), Cell("items", 3, "name")]);

        Assert.Equal([1L, 2L, 3L], Drain(fast).Select(Id));
        Assert.Equal([1L, 2L], Drain(slow).Select(Id));
        await Assert.ThrowsAsync<SubscriberTooSlowException>(() => slow.Notifications.Completion);
        Assert.Equal(1, watchers.Count);

        watchers.OnChanges([Cell("items", 4, "name")]);
        Assert.Equal([4L], Drain(fast).Select(Id));
    }

    [Fact]
    public async Task Unwatch_completes_the_channel_and_stops_notifications()
    {
        var watchers = NewWatchers();
        var stream = watchers.Watch("items", ["id"], 16);

        watchers.Unwatch("items", stream.ListenerId);
        watchers.OnChanges([Cell("items", 1, "name")]);

        await stream.Notifications.Completion;
        Assert.Empty(Drain(stream));
        Assert.False(watchers.IsWatched("items"));
        Assert.Equal(0, watchers.Count);
    }

    [Fact]
    public void Unwatch_of_an_unknown_listener_is_ignored()
    {
        var watchers = NewWatchers();
        var stream = watchers.Watch("items", ["id"], 16);

        watchers.Unwatch("items", stream.ListenerId + 1);
        watchers.Unwatch("other", stream.ListenerId);

        Assert.Equal(1, watchers.Count);
    }

    [Fact]
    public async Task Disposing_a_stream_calls_the_detach_action_once()
    {
        var watchers = NewWatchers();
        var stream = watchers.Watch("items", ["id"], 16);

        await stream.DisposeAsync();
        await stream.DisposeAsync();

        Assert.Same(stream, Assert.Single(_detached));
    }

    [Fact]
    public async Task Close_ends_every_watcher_with_the_reason()
    {
        var watchers = NewWatchers();
        var a = watchers.Watch("items", ["id"], 16);
        var b = watchers.Watch("users", ["id"], 16);

        watchers.Close("stopping");

        Assert.Equal("stopping", (await Assert.ThrowsAsync<ChannelClosedException>(() => a.Notifications.Completion)).Message);
        await Assert.ThrowsAsync<ChannelClosedException>(() => b.Notifications.Completion);
        Assert.Equal(0, watchers.Count);
    }

    [Fact]
    public void Without_watchers_changes_are_ignored()
    {
        var watchers = NewWatchers();
        watchers.OnChanges([Cell("items", 1, "name")]);
        Assert.Equal(0, watchers.Count);
    }
}
