using Corrosion.Agent.Node;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Subscriptions;
using Corrosion.Agent.Tests.Storage;
using Corrosion.Agent.Tests.Support;

namespace Corrosion.Agent.Tests.Subscriptions;

public sealed class SubscriptionPersistenceTests
{
    private const string ItemsQuery = "SELECT id, name, qty FROM items";

    [Fact]
    public async Task After_a_restart_rows_and_change_ids_continue_and_changes_made_while_down_are_replayed()
    {
        await using var h = await SubscriptionHarness.StartAsync();
        await h.WriteAsync("INSERT INTO items (id, name, qty) VALUES (1, 'a', 1), (2, 'b', 2)");
        var stream = await h.SubscribeAsync(ItemsQuery);
        var copy = new ClientCopy(stream);
        await h.WriteAsync("UPDATE items SET qty = 10 WHERE id = 1");
        copy.Apply(Assert.Single(await stream.TakeAsync(1)));
        var queryId = stream.QueryId;

        await h.StopAsync();
        await Assert.ThrowsAnyAsync<Exception>(async () => await stream.Changes.ReadAsync());
        h.Store.Dispose();
        // Written while the node is down (straight to the database, no subscription actor running).
        using (var offline = CrdtStore.Open(h.Stores.Options("node")))
        {
            offline.Exec("DELETE FROM items WHERE id = 2");
            offline.Exec("INSERT INTO items (id, name, qty) VALUES (3, 'c', 3)");
            offline.Exec("UPDATE items SET name = 'A' WHERE id = 1");
        }

        await h.StartAgainAsync();
        var resumed = await WaitForReplayAsync(h, queryId, copy.LastChangeId, 3);
        await using var resumedStream = resumed;
        foreach (var change in resumed.Replay)
        {
            copy.Apply(change);
        }

        Assert.Equal(h.QueryNow(ItemsQuery), copy.Rendered);
        Assert.Equal([2L, 3L, 4L], resumed.Replay.Select(c => c.ChangeId));
        // Row 1 kept its row id through the restart.
        Assert.Contains(resumed.Replay, c => c.Kind == ChangeKind.Update && c.RowId == stream.Rows.Single(r => r.Cells[0].AsInteger == 1).RowId);

        await h.WriteAsync("INSERT INTO items (id, name, qty) VALUES (4, 'd', 4)");
        var live = Assert.Single(await resumed.TakeAsync(1));
        copy.Apply(live);
        Assert.Equal(5L, live.ChangeId);
        Assert.Equal(h.QueryNow(ItemsQuery), copy.Rendered);
    }

    [Fact]
    public async Task The_same_statement_after_a_restart_finds_the_same_subscription()
    {
        await using var h = await SubscriptionHarness.StartAsync();
        string queryId;
        await using (var stream = await h.SubscribeAsync(ItemsQuery))
        {
            queryId = stream.QueryId;
        }

        await h.StopAsync();
        await h.StartAgainAsync();
        await using var again = await h.SubscribeAsync(ItemsQuery);

        Assert.Equal(queryId, again.QueryId);
    }

    [Fact]
    public async Task A_statement_with_named_parameters_survives_a_restart_and_keeps_following_changes()
    {
        await using var h = await SubscriptionHarness.StartAsync();
        var statement = new Statement("SELECT id, name FROM items WHERE team = :team", null, new Dictionary<string, SqlValue> { ["team"] = SqlValue.FromText("red") });
        var first = await h.Subscriptions.Ask<SubscribeOutcome>(r => new Subscribe(statement, false, r), SubscriptionHarness.Timeout);
        await first.Stream!.DisposeAsync();
        await h.StopAsync();

        await h.StartAgainAsync();
        var again = await h.Subscriptions.Ask<SubscribeOutcome>(r => new Subscribe(statement, false, r), SubscriptionHarness.Timeout);
        await using var stream = again.Stream!;
        await h.WriteAsync("INSERT INTO items (id, name, team) VALUES (1, 'a', 'red'), (2, 'b', 'blue')");

        Assert.Equal(first.Stream!.QueryId, stream.QueryId);
        Assert.Equal(first.Stream.QueryHash, stream.QueryHash);
        var change = Assert.Single(await stream.TakeAsync(1));
        Assert.Equal(1L, change.Cells[0].AsInteger);
    }

    [Fact]
    public async Task The_change_log_is_pruned_by_count_and_older_ids_are_expired_with_the_oldest_kept()
    {
        await using var h = await SubscriptionHarness.StartAsync(new SubscriptionOptions { BatchWindow = TimeSpan.Zero, MaxChangeLog = 3 });
        await using var stream = await h.SubscribeAsync(ItemsQuery);
        for (var i = 1; i <= 6; i++)
        {
            await h.WriteAsync("INSERT INTO items (id, name) VALUES (?, 'x')", i);
            await stream.TakeAsync(1);
        }

        var expired = await h.AttachAsync(stream.QueryId, 2);
        var lastPruned = await h.AttachAsync(stream.QueryId, 3);
        await using var lastPrunedStream = lastPruned.Stream!;

        Assert.Equal(SubscriptionErrorKind.ChangeIdExpired, expired.Error!.Kind);
        Assert.Equal(4L, expired.Error.OldestChangeId);
        Assert.Equal([4L, 5L, 6L], lastPruned.Stream!.Replay.Select(c => c.ChangeId));
    }

    [Fact]
    public async Task The_change_log_is_pruned_by_age()
    {
        await using var h = await SubscriptionHarness.StartAsync(new SubscriptionOptions { BatchWindow = TimeSpan.Zero, MaxChangeAge = TimeSpan.FromMilliseconds(200) });
        await using var stream = await h.SubscribeAsync(ItemsQuery);
        await h.WriteAsync("INSERT INTO items (id, name) VALUES (1, 'x')");
        await stream.TakeAsync(1);

        SubscribeOutcome? outcome = null;
        await Wait.ForAsync(
            async () =>
            {
                outcome = await h.AttachAsync(stream.QueryId, 0);
                if (outcome.Stream is { } s)
                {
                    await s.DisposeAsync();
                }

                return outcome.Error is not null;
            },
            "the first change to age out");

        Assert.Equal(SubscriptionErrorKind.ChangeIdExpired, outcome!.Error!.Kind);
        Assert.Equal(2L, outcome.Error.OldestChangeId);
    }

    [Fact]
    public async Task A_subscription_without_listeners_expires_after_the_idle_timeout_with_its_data()
    {
        await using var h = await SubscriptionHarness.StartAsync(new SubscriptionOptions { IdleTimeout = TimeSpan.FromMilliseconds(150) });
        var kept = await h.SubscribeAsync("SELECT name FROM teams");
        var stream = await h.SubscribeAsync(ItemsQuery);
        await stream.DisposeAsync();

        await Wait.ForAsync(
            // A change id beyond the latest is refused without attaching a listener (which would keep it alive).
            async () => (await h.AttachAsync(stream.QueryId, long.MaxValue)).Error?.Kind == SubscriptionErrorKind.NotFound,
            "the idle subscription to expire");
        var stillThere = await h.AttachAsync(kept.QueryId, 0);
        await using var stillThereStream = stillThere.Stream!;
        await kept.DisposeAsync();
        await h.StopAsync();
        await h.StartAgainAsync();

        Assert.NotNull(stillThere.Stream);
        Assert.Equal(SubscriptionErrorKind.NotFound, (await h.AttachAsync(stream.QueryId, null)).Error!.Kind);
    }

    [Fact]
    public async Task A_dropped_subscription_ends_its_streams_and_goes_with_its_data_while_others_stay()
    {
        await using var h = await SubscriptionHarness.StartAsync();
        await using var kept = await h.SubscribeAsync("SELECT name FROM teams");
        await using var stream = await h.SubscribeAsync(ItemsQuery);

        var dropped = await h.Subscriptions.Ask<bool>(r => new DropSubscription(stream.QueryId, r), SubscriptionHarness.Timeout);
        var again = await h.Subscriptions.Ask<bool>(r => new DropSubscription(stream.QueryId, r), SubscriptionHarness.Timeout);
        var ended = await Assert.ThrowsAnyAsync<Exception>(() => stream.TakeAsync(1));
        await h.WriteAsync("INSERT INTO teams (name, region) VALUES ('red', 'eu')");

        Assert.True(dropped);
        Assert.False(again);
        Assert.Contains("dropped", ended.Message, StringComparison.Ordinal);
        Assert.Equal(SubscriptionErrorKind.NotFound, (await h.AttachAsync(stream.QueryId, null)).Error!.Kind);
        Assert.Single(await kept.TakeAsync(1));
        var resubscribed = await h.TrySubscribeAsync(ItemsQuery);
        await using var resubscribedStream = resubscribed.Stream!;
        Assert.NotEqual(stream.QueryId, resubscribedStream.QueryId);
    }

    [Fact]
    public async Task The_actor_moves_the_recent_changes_after_sending_them()
    {
        await using var h = await SubscriptionHarness.StartAsync(new SubscriptionOptions { SubscriberBuffer = 4 * SubscriptionFile.MoveEvery });
        await using var stream = await h.SubscribeAsync(ItemsQuery);
        var rows = SubscriptionFile.MoveEvery + 10;

        // One transaction, one recording of that many changes: the move is due after it, not done in it.
        await h.WriteAsync(new[] { new Statement($"INSERT INTO items (id, name) WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < {rows}) SELECT v, 'n' FROM n") });
        await stream.TakeAsync(rows);

        using var raw = RawSqlite.Open(h.FilePath);
        await Wait.ForAsync(() => RawSqlite.Scalar(raw, "SELECT count(*) FROM recent_changes") == 0, "the recent changes to be moved");
        Assert.Equal(rows, RawSqlite.Scalar(raw, "SELECT count(*) FROM subscription_changes"));
    }

    [Fact]
    public async Task A_node_runs_the_subscription_actor_with_its_file_beside_the_database()
    {
        await using var node = await Api.TestNode.StartAsync(schema: SubscriptionHarness.Schema);
        var subscriptions = node.Node.Actors.Subscriptions;
        Assert.NotNull(subscriptions);

        var outcome = await subscriptions.Ask<SubscribeOutcome>(r => new Subscribe(new Statement(ItemsQuery), false, r), SubscriptionHarness.Timeout);
        await using var stream = outcome.Stream!;
        await node.Node.Actors.Storage.Ask<TransactionOutcome>(r => new ExecuteTransaction([new Statement("INSERT INTO items (id, name) VALUES (1, 'a')")], null, r), SubscriptionHarness.Timeout);

        Assert.Equal(ChangeKind.Insert, Assert.Single(await stream.TakeAsync(1)).Kind);
        Assert.True(File.Exists(node.Node.Options.Db.Path + SubscriptionOptions.DefaultPathSuffix));
    }

    [Fact]
    public void Subscription_options_bind_from_hocon_with_documented_defaults()
    {
        var defaults = NodeConfiguration.Load(null).Subscriptions;
        var custom = NodeConfiguration.Load(null, [new("subscriptions:batch_window", "25ms"), new("subscriptions:path", "/x/s.db"), new("subscriptions:max_change_log", "7")]).Subscriptions;

        Assert.Equal(new SubscriptionOptions(), defaults);
        Assert.Equal(TimeSpan.FromMilliseconds(25), custom.BatchWindow);
        Assert.Equal("/x/s.db", custom.ResolvePath("/data/db"));
        Assert.Equal("/data/db.subscriptions.db", defaults.ResolvePath("/data/db"));
        Assert.Equal(7, custom.MaxChangeLog);
        Assert.Throws<ConfigurationException>(() => NodeConfiguration.Load(null, [new("subscriptions:subscriber_buffer", "0")]));
    }

    private static async Task<SubscriptionStream> WaitForReplayAsync(SubscriptionHarness h, string queryId, long from, int count)
    {
        SubscriptionStream? found = null;
        await Wait.ForAsync(
            async () =>
            {
                var outcome = await h.AttachAsync(queryId, from);
                if (outcome.Stream is { } s && s.Replay.Count >= count)
                {
                    found = s;
                    return true;
                }

                if (outcome.Stream is { } other)
                {
                    await other.DisposeAsync();
                }

                return false;
            },
            "the restart's re-evaluation to be logged");
        return found!;
    }
}
