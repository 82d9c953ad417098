using Akka.Actor;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Subscriptions;
using Corrosion.Agent.Tests.Storage;
using Corrosion.Agent.Tests.Support;

namespace Corrosion.Agent.Tests.Subscriptions;

public sealed class SubscriptionActorTests
{
    private const string ItemsQuery = "SELECT id, name, qty FROM items";
    private const string JoinQuery = "SELECT i.id, i.name, t.name, t.region FROM items i JOIN teams t ON t.name = i.team";
    private const string GroupQuery = "SELECT team, count(*), sum(qty) FROM items GROUP BY team";

    [Fact]
    public async Task Single_table_query_streams_insert_update_and_delete()
    {
        await using var h = await SubscriptionHarness.StartAsync();
        await h.WriteAsync("INSERT INTO items (id, name, qty) VALUES (1, 'a', 1)");
        await using var stream = await h.SubscribeAsync(ItemsQuery);
        Assert.Equal(["id", "name", "qty"], stream.Columns);
        var row = Assert.Single(stream.Rows);
        Assert.Equal(0, stream.EndOfQuery!.ChangeId);

        await h.WriteAsync("INSERT INTO items (id, name, qty) VALUES (2, 'b', 2)");
        var insert = Assert.Single(await stream.TakeAsync(1));
        await h.WriteAsync("UPDATE items SET qty = 5 WHERE id = 1");
        var update = Assert.Single(await stream.TakeAsync(1));
        await h.WriteAsync("DELETE FROM items WHERE id = 2");
        var delete = Assert.Single(await stream.TakeAsync(1));

        Assert.Equal((ChangeKind.Insert, 1L), (insert.Kind, insert.ChangeId));
        Assert.Equal("2|'b'|2", string.Join("|", insert.Cells));
        Assert.Equal((ChangeKind.Update, row.RowId, 2L), (update.Kind, update.RowId, update.ChangeId));
        Assert.Equal("1|'a'|5", string.Join("|", update.Cells));
        Assert.Equal((ChangeKind.Delete, insert.RowId, 3L), (delete.Kind, delete.RowId, delete.ChangeId));
        Assert.Equal("2|'b'|2", string.Join("|", delete.Cells));
    }

    [Fact]
    public async Task Join_streams_every_event_kind_and_follows_both_tables()
    {
        await using var h = await SubscriptionHarness.StartAsync();
        await h.WriteAsync("INSERT INTO teams (name, region) VALUES ('red', 'eu')");
        await using var stream = await h.SubscribeAsync(JoinQuery);
        var copy = new ClientCopy(stream);
        Assert.Empty(copy.Rows);

        await h.WriteAsync("INSERT INTO items (id, name, team) VALUES (1, 'a', 'red')");
        var insert = Assert.Single(await stream.TakeAsync(1));
        copy.Apply(insert);
        await h.WriteAsync("UPDATE teams SET region = 'us' WHERE name = 'red'");
        var update = Assert.Single(await stream.TakeAsync(1));
        copy.Apply(update);
        await h.WriteAsync("DELETE FROM teams WHERE name = 'red'");
        var delete = Assert.Single(await stream.TakeAsync(1));
        copy.Apply(delete);

        Assert.Equal([ChangeKind.Insert, ChangeKind.Update, ChangeKind.Delete], new[] { insert.Kind, update.Kind, delete.Kind });
        Assert.Equal(insert.RowId, update.RowId);
        Assert.Equal("1|'a'|'red'|'us'", string.Join("|", update.Cells));
        Assert.Equal(h.QueryNow(JoinQuery), copy.Rendered);
    }

    [Fact]
    public async Task Group_by_aggregate_streams_every_event_kind_with_stable_group_rows()
    {
        await using var h = await SubscriptionHarness.StartAsync();
        await h.WriteAsync("INSERT INTO items (id, name, qty, team) VALUES (1, 'a', 2, 'red')");
        await using var stream = await h.SubscribeAsync(GroupQuery);
        var copy = new ClientCopy(stream);
        var red = Assert.Single(stream.Rows);

        await h.WriteAsync("INSERT INTO items (id, name, qty, team) VALUES (2, 'b', 3, 'red')");
        var update = Assert.Single(await stream.TakeAsync(1));
        copy.Apply(update);
        await h.WriteAsync("INSERT INTO items (id, name, qty, team) VALUES (3, 'c', 7, 'blue')");
        var insert = Assert.Single(await stream.TakeAsync(1));
        copy.Apply(insert);
        await h.WriteAsync("DELETE FROM items WHERE team = 'red'");
        var delete = Assert.Single(await stream.TakeAsync(1));
        copy.Apply(delete);

        Assert.Equal((ChangeKind.Update, red.RowId), (update.Kind, update.RowId));
        Assert.Equal("'red'|2|5", string.Join("|", update.Cells));
        Assert.Equal(ChangeKind.Insert, insert.Kind);
        Assert.Equal((ChangeKind.Delete, red.RowId), (delete.Kind, delete.RowId));
        Assert.Equal(h.QueryNow(GroupQuery), copy.Rendered);
    }

    [Fact]
    public async Task A_burst_of_writes_during_an_evaluation_is_gathered_into_the_next_one()
    {
        // An aggregate re-runs in full on every change; the gate holds its first re-run while the burst is written.
        await using var h = await SubscriptionHarness.StartAsync();
        await using var stream = await h.SubscribeAsync($"SELECT count(*) FROM items WHERE {SqlGate.Function}");
        var copy = new ClientCopy(stream);

        h.Gate.Shut();
        await h.WriteAsync("INSERT INTO items (id, name) VALUES (0, 'x')");
        await h.Gate.HoldingAsync(SubscriptionHarness.Timeout);
        for (var i = 1; i < 20; i++)
        {
            await h.WriteAsync("INSERT INTO items (id, name) VALUES (?, 'x')", i);
        }

        h.Gate.Open();

        // The first write started an evaluation at once; the writes made while it ran go into one more.
        while (copy.Rendered.SequenceEqual(["Integer:20"]) is false)
        {
            copy.Apply(Assert.Single(await stream.TakeAsync(1)));
        }

        Assert.InRange(copy.LastChangeId, 1, 2);
    }

    [Fact]
    public async Task Writes_to_tables_the_query_does_not_read_change_nothing()
    {
        await using var h = await SubscriptionHarness.StartAsync();
        await using var stream = await h.SubscribeAsync("SELECT name FROM teams");

        await h.WriteAsync("INSERT INTO items (id, name) VALUES (1, 'x')");
        await h.WriteAsync("INSERT INTO teams (name) VALUES ('red')");

        var change = Assert.Single(await stream.TakeAsync(1));
        Assert.Equal(1L, change.ChangeId);
        Assert.Equal("red", change.Cells[0].AsText);
    }

    [Fact]
    public async Task Changes_merged_from_another_store_reach_the_subscriber()
    {
        await using var h = await SubscriptionHarness.StartAsync();
        await using var stream = await h.SubscribeAsync(ItemsQuery);
        var other = h.Stores.Build("remote");
        other.Exec("INSERT INTO items (id, name, qty) VALUES (7, 'remote', 3)");
        var changesets = other.AllChanges();

        var applied = await h.Storage.Ask<ApplyOutcome>(r => new ApplyChangesets(changesets, r), SubscriptionHarness.Timeout);

        Assert.Null(applied.Error);
        var change = Assert.Single(await stream.TakeAsync(1));
        Assert.Equal(ChangeKind.Insert, change.Kind);
        Assert.Equal("7|'remote'|3", string.Join("|", change.Cells));
    }

    [Fact]
    public async Task The_same_statement_reuses_the_subscription_and_its_hash()
    {
        await using var h = await SubscriptionHarness.StartAsync();
        await using var first = await h.SubscribeAsync("SELECT id FROM items WHERE qty > ?", 1);
        await using var same = await h.SubscribeAsync("SELECT id FROM items WHERE qty > ?", 1);
        await using var otherParams = await h.SubscribeAsync("SELECT id FROM items WHERE qty > ?", 2);

        Assert.Equal(first.QueryId, same.QueryId);
        Assert.Equal(first.QueryHash, same.QueryHash);
        Assert.NotEqual(first.ListenerId, same.ListenerId);
        Assert.NotEqual(first.QueryId, otherParams.QueryId);
        Assert.Matches("^[0-9a-f]{64}$", first.QueryHash);
        Assert.True(Guid.TryParse(first.QueryId, out _));
    }

    [Fact]
    public async Task Skip_rows_leaves_the_rows_out_but_keeps_the_end_of_query()
    {
        await using var h = await SubscriptionHarness.StartAsync();
        await h.WriteAsync("INSERT INTO items (id, name) VALUES (1, 'a')");

        var outcome = await h.TrySubscribeAsync(ItemsQuery, skipRows: true);
        await using var stream = outcome.Stream!;

        Assert.Empty(stream.Rows);
        Assert.Equal(0, stream.EndOfQuery!.ChangeId);
    }

    [Theory]
    [InlineData("DELETE FROM items")]
    [InlineData("SELECT * FROM sqlite_master")]
    [InlineData("SELECT * FROM items__corro_pks")]
    [InlineData("SELECT nope FROM items")]
    public async Task Bad_statements_are_refused_as_bad_queries(string sql)
    {
        await using var h = await SubscriptionHarness.StartAsync();

        var outcome = await h.TrySubscribeAsync(sql);

        Assert.Null(outcome.Stream);
        Assert.Equal(SubscriptionErrorKind.BadQuery, outcome.Error!.Kind);
    }

    [Fact]
    public async Task Beyond_the_subscription_cap_new_statements_are_unavailable()
    {
        await using var h = await SubscriptionHarness.StartAsync(new SubscriptionOptions { MaxSubscriptions = 1 });
        await using var first = await h.SubscribeAsync(ItemsQuery);

        var refused = await h.TrySubscribeAsync("SELECT name FROM teams");
        var reused = await h.TrySubscribeAsync(ItemsQuery);
        await using var reusedStream = reused.Stream!;

        Assert.Equal(SubscriptionErrorKind.Unavailable, refused.Error!.Kind);
        Assert.NotNull(reused.Stream);
    }

    [Fact]
    public async Task Attaching_to_an_unknown_id_is_not_found()
    {
        await using var h = await SubscriptionHarness.StartAsync();

        var outcome = await h.AttachAsync("00000000-0000-4000-8000-000000000000", 3);

        Assert.Equal(SubscriptionErrorKind.NotFound, outcome.Error!.Kind);
    }

    [Fact]
    public async Task Resume_from_n_replays_exactly_the_changes_after_n_then_live_ones()
    {
        await using var h = await SubscriptionHarness.StartAsync();
        var first = await h.SubscribeAsync(ItemsQuery);
        for (var i = 1; i <= 5; i++)
        {
            await h.WriteAsync("INSERT INTO items (id, name) VALUES (?, 'x')", i);
            await first.TakeAsync(1);
        }

        await first.DisposeAsync();

        var outcome = await h.AttachAsync(first.QueryId, 2);
        await using var resumed = outcome.Stream!;
        await h.WriteAsync("INSERT INTO items (id, name) VALUES (6, 'y')");
        var live = Assert.Single(await resumed.TakeAsync(1));

        Assert.Null(resumed.EndOfQuery);
        Assert.Empty(resumed.Rows);
        Assert.Equal([3L, 4L, 5L], resumed.Replay.Select(c => c.ChangeId));
        Assert.Equal(6L, live.ChangeId);
    }

    [Fact]
    public async Task Resume_from_the_latest_change_replays_nothing_and_beyond_it_is_a_bad_query()
    {
        await using var h = await SubscriptionHarness.StartAsync();
        await using var first = await h.SubscribeAsync(ItemsQuery);
        await h.WriteAsync("INSERT INTO items (id, name) VALUES (1, 'x')");
        await first.TakeAsync(1);

        var latest = await h.AttachAsync(first.QueryId, 1);
        await using var latestStream = latest.Stream!;
        var beyond = await h.AttachAsync(first.QueryId, 2);

        Assert.Empty(latest.Stream!.Replay);
        Assert.Equal(SubscriptionErrorKind.BadQuery, beyond.Error!.Kind);
    }

    [Fact]
    public async Task Reattaching_without_from_gives_current_rows_and_the_latest_change_id()
    {
        await using var h = await SubscriptionHarness.StartAsync();
        await using var first = await h.SubscribeAsync(ItemsQuery);
        await h.WriteAsync("INSERT INTO items (id, name) VALUES (1, 'x')");
        var insert = Assert.Single(await first.TakeAsync(1));

        var outcome = await h.AttachAsync(first.QueryId, null);
        await using var again = outcome.Stream!;

        Assert.Equal(insert.RowId, Assert.Single(again.Rows).RowId);
        Assert.Equal(1, again.EndOfQuery!.ChangeId);
    }

    [Fact]
    public async Task A_subscription_without_listeners_is_not_visited_by_writes_and_catches_up_exactly_when_one_returns()
    {
        await using var h = await SubscriptionHarness.StartAsync();
        await h.WriteAsync("INSERT INTO items (id, name, qty) VALUES (1, 'a', 1), (2, 'b', 2), (3, 'c', 3)");
        var first = await h.SubscribeAsync("SELECT id, name, qty FROM items WHERE qty > 1");
        var copy = new ClientCopy(first);
        await h.WriteAsync("UPDATE items SET qty = 5 WHERE id = 1");
        copy.Apply(Assert.Single(await first.TakeAsync(1)));
        await first.DisposeAsync();
        await Wait.ForAsync(async () => (await InfoAsync(h, first.QueryId)).Listeners == 0, "the listener to leave");
        var before = await InfoAsync(h, first.QueryId);

        // Another query's listener: once it has the fourth event, the actor has handled all four writes.
        await using var witness = await h.SubscribeAsync(ItemsQuery);
        await h.WriteAsync("UPDATE items SET qty = 9 WHERE id = 2");
        await h.WriteAsync("UPDATE items SET qty = 0 WHERE id = 3");
        await h.WriteAsync("INSERT INTO items (id, name, qty) VALUES (4, 'd', 4)");
        await h.WriteAsync("DELETE FROM items WHERE id = 1");
        await witness.TakeAsync(4);
        var asleep = await InfoAsync(h, first.QueryId);

        // Nothing was noted nor evaluated for it while nobody listened.
        Assert.Equal(0, asleep.PendingKeys);
        Assert.Equal(before.KeyedEvaluations + before.FullEvaluations + before.SkippedEvaluations, asleep.KeyedEvaluations + asleep.FullEvaluations + asleep.SkippedEvaluations);

        var resumed = await h.AttachAsync(first.QueryId, copy.LastChangeId);
        await using var stream = resumed.Stream!;
        foreach (var change in stream.Replay)
        {
            copy.Apply(change);
        }

        Assert.Equal(h.QueryNow("SELECT id, name, qty FROM items WHERE qty > 1"), copy.Rendered);
        await h.WriteAsync("UPDATE items SET qty = 7 WHERE id = 4");
        copy.Apply(Assert.Single(await stream.TakeAsync(1)));
        Assert.Equal(h.QueryNow("SELECT id, name, qty FROM items WHERE qty > 1"), copy.Rendered);
    }

    [Fact]
    public async Task A_sleeping_subscription_whose_tables_did_not_change_wakes_without_an_evaluation()
    {
        await using var h = await SubscriptionHarness.StartAsync();
        var first = await h.SubscribeAsync(ItemsQuery);
        await first.DisposeAsync();
        await Wait.ForAsync(async () => (await InfoAsync(h, first.QueryId)).Listeners == 0, "the listener to leave");
        await h.WriteAsync("INSERT INTO teams (name, region) VALUES ('red', 'eu')");
        var before = await InfoAsync(h, first.QueryId);

        var again = await h.AttachAsync(first.QueryId, 0);
        await using var stream = again.Stream!;
        var after = await InfoAsync(h, first.QueryId);

        Assert.Empty(stream.Replay);
        Assert.Equal(before.FullEvaluations, after.FullEvaluations);
        Assert.Equal(0, after.PendingKeys);
    }

    private static async Task<SubscriptionInfo> InfoAsync(SubscriptionHarness h, string id)
    {
        var outcome = await h.Subscriptions.Ask<SubscriptionInfoOutcome>(r => new GetSubscriptionInfo(id, r), SubscriptionHarness.Timeout);
        return outcome.Info!;
    }

    [Fact]
    public async Task A_slow_subscriber_overflows_and_ends_alone_while_others_keep_receiving()
    {
        await using var h = await SubscriptionHarness.StartAsync(new SubscriptionOptions { BatchWindow = TimeSpan.Zero, SubscriberBuffer = 3 });
        await using var slow = await h.SubscribeAsync(ItemsQuery);
        await using var fast = await h.SubscribeAsync(ItemsQuery);
        var fastCopy = new ClientCopy(fast);

        for (var i = 1; i <= 8; i++)
        {
            await h.WriteAsync("INSERT INTO items (id, name) VALUES (?, 'x')", i);
            fastCopy.Drain(fast);
            await Wait.ForAsync(() => { fastCopy.Drain(fast); return fastCopy.Rows.Count == i; }, "fast listener to keep up");
        }

        var read = new List<SubscriptionChange>();
        var error = await Assert.ThrowsAsync<SubscriberTooSlowException>(async () =>
        {
            await foreach (var change in slow.Changes.ReadAllAsync())
            {
                read.Add(change);
            }
        });

        Assert.Equal(3, read.Count);
        Assert.Equal(read[^1].ChangeId, error.LastDeliveredChangeId);
        var resumed = await h.AttachAsync(slow.QueryId, error.LastDeliveredChangeId);
        await using var resumedStream = resumed.Stream!;
        Assert.Equal([4L, 5L, 6L, 7L, 8L], resumedStream.Replay.Select(c => c.ChangeId));
        Assert.Equal(h.QueryNow(ItemsQuery), fastCopy.Rendered);
    }

    [Fact]
    public async Task Lost_storage_events_re_evaluate_every_subscription_and_end_table_watchers()
    {
        await using var h = await SubscriptionHarness.StartAsync();
        await using var stream = await h.SubscribeAsync("SELECT id, name FROM items");
        var watch = await h.Subscriptions.Ask<WatchOutcome>(r => new WatchTable("items", r), SubscriptionHarness.Timeout);
        await using var watcher = watch.Stream!;

        // A write the subscription actor is never told about (straight to the store, no event), then
        // an event whose sequence number jumps, as when the listener's mailbox dropped some.
        h.Store.Execute([new Statement("INSERT INTO items (id, name) VALUES (7, 'unseen')")]);
        h.Subscriptions.Untyped.Tell(new ChangesMerged(new MergeResult([], [], [])) { Sequence = 1_000 });

        var change = Assert.Single(await stream.TakeAsync(1));
        Assert.Equal((ChangeKind.Insert, "7|'unseen'"), (change.Kind, string.Join("|", change.Cells)));
        await Assert.ThrowsAsync<System.Threading.Channels.ChannelClosedException>(async () => await watcher.Notifications.Completion.WaitAsync(SubscriptionHarness.Timeout));
    }
}
