using System.Diagnostics;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Subscriptions;
using Corrosion.Agent.Tests.Support;

namespace Corrosion.Agent.Tests.Subscriptions;

/// <summary>How the subscription actor schedules evaluations: at once, by key, lazily without listeners, never behind a slow query.</summary>
public sealed class SubscriptionEvaluationTests
{
    [Fact]
    public async Task A_change_is_evaluated_at_once_whatever_the_deprecated_batch_window()
    {
        await using var h = await SubscriptionHarness.StartAsync(new SubscriptionOptions { BatchWindow = TimeSpan.FromSeconds(10) });
        await using var stream = await h.SubscribeAsync("SELECT id, name FROM items");

        var watch = Stopwatch.StartNew();
        await h.WriteAsync("INSERT INTO items (id, name) VALUES (1, 'x')");
        var change = Assert.Single(await stream.TakeAsync(1));

        Assert.Equal(ChangeKind.Insert, change.Kind);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(8), $"the event took {watch.Elapsed}");
    }

    [Fact]
    public async Task A_query_with_its_key_is_evaluated_by_key_and_says_so()
    {
        await using var h = await SubscriptionHarness.StartAsync();
        await using var stream = await h.SubscribeAsync("SELECT i.id, i.name, t.name, t.region FROM items i JOIN teams t ON t.name = i.team");
        await h.WriteAsync("INSERT INTO teams (name, region) VALUES ('red', 'eu')");
        await h.WriteAsync("INSERT INTO items (id, name, team) VALUES (1, 'x', 'red')");
        Assert.Single(await stream.TakeAsync(1));

        var info = await InfoAsync(h, stream.QueryId);

        Assert.Equal(LiveQueryStrategy.Incremental, info.Strategy);
        Assert.Equal(EvaluationKind.Keyed, info.LastEvaluation);
        Assert.True(info.KeyedEvaluations >= 1);
        Assert.Equal(1, info.FullEvaluations); // the first, at subscribe
        Assert.All(info.Tables, t => Assert.True(t.Incremental, t.Reason));
    }

    [Fact]
    public async Task Rows_whose_result_columns_alone_changed_are_updated_in_place_sent_in_order_and_kept_for_resuming()
    {
        const string query = "SELECT id, qty FROM items WHERE team = 'red'";
        await using var h = await SubscriptionHarness.StartAsync();
        for (var i = 1; i <= 3; i++)
        {
            await h.WriteAsync("INSERT INTO items (id, name, qty, team) VALUES (?, 'x', 0, 'red')", i);
        }

        await using var stream = await h.SubscribeAsync(query);
        var copy = new ClientCopy(stream);
        // The inserts' storage events may reach the actor after the subscription was created and be
        // evaluated then; once this write's event is here, they are behind it.
        await h.WriteAsync("UPDATE items SET qty = 99 WHERE id = 1");
        var first = Assert.Single(await stream.TakeAsync(1));
        copy.Apply(first);
        var before = await InfoAsync(h, stream.QueryId);

        // A burst: concurrent commits share group commits and reach the actor together.
        await Task.WhenAll(Enumerable.Range(1, 12).Select(n => h.WriteAsync("UPDATE items SET qty = ? WHERE id = ?", n, 1 + (n % 3))));
        var changes = await stream.TakeAsync(12);
        changes.ForEach(copy.Apply);

        Assert.All(changes, c => Assert.Equal(ChangeKind.Update, c.Kind));
        Assert.Equal(Enumerable.Range(1, 12).Select(i => first.ChangeId + i), changes.Select(c => c.ChangeId));
        Assert.Equal(h.QueryNow(query).Order(StringComparer.Ordinal), copy.Rendered.Order(StringComparer.Ordinal));
        // Nothing was read: each row's new cells came from its commit.
        var after = await InfoAsync(h, stream.QueryId);
        Assert.Equal((before.KeyedEvaluations, before.FullEvaluations), (after.KeyedEvaluations, after.FullEvaluations));
        // Recorded in the subscription file before they were sent: a resume replays them all.
        var resumed = (await h.AttachAsync(stream.QueryId, from: first.ChangeId)).Stream!;
        await using (resumed)
        {
            Assert.Equal(changes.Select(c => (c.ChangeId, c.RowId, string.Join("|", c.Cells))), resumed.Replay.Select(c => (c.ChangeId, c.RowId, string.Join("|", c.Cells))));
        }
    }

    [Fact]
    public async Task A_subscription_without_listeners_does_not_evaluate_until_one_comes_back()
    {
        await using var h = await SubscriptionHarness.StartAsync();
        string id;
        long last;
        await using (var first = await h.SubscribeAsync("SELECT id, name FROM items"))
        {
            id = first.QueryId;
            last = first.EndOfQuery!.ChangeId;
        }

        await Support.Wait.UntilAsync(async () => (await InfoAsync(h, id)).Listeners == 0, "the listener to leave");
        var before = await InfoAsync(h, id);
        // Another query's listener: once it has the third event, the actor has handled all three writes.
        await using var witness = await h.SubscribeAsync("SELECT id FROM items");
        for (var i = 1; i <= 3; i++)
        {
            await h.WriteAsync("INSERT INTO items (id, name) VALUES (?, 'x')", i);
        }

        await witness.TakeAsync(3);
        var idle = await InfoAsync(h, id);
        // Asleep: the writes were not even noted, let alone evaluated.
        Assert.Equal(0, idle.PendingKeys);
        Assert.Equal((before.KeyedEvaluations, before.FullEvaluations, before.SkippedEvaluations), (idle.KeyedEvaluations, idle.FullEvaluations, idle.SkippedEvaluations));
        Assert.Equal(last, idle.LastChangeId);

        // On re-attach one run finds what it missed, numbered before the replay.
        var outcome = await h.AttachAsync(id, from: last);
        await using var resumed = outcome.Stream!;
        Assert.Equal([ChangeKind.Insert, ChangeKind.Insert, ChangeKind.Insert], resumed.Replay.Select(c => c.Kind));
        var after = await InfoAsync(h, id);
        Assert.Equal((EvaluationKind.Full, before.FullEvaluations + 1, 0), (after.LastEvaluation!.Value, after.FullEvaluations, after.PendingKeys));
    }

    [Fact]
    public async Task A_slow_query_does_not_delay_the_events_of_others()
    {
        await using var h = await SubscriptionHarness.StartAsync();
        await using var slow = await h.SubscribeAsync($"SELECT count(*) FROM items WHERE {SqlGate.Function}");
        await using var fast = await h.SubscribeAsync("SELECT id, name FROM items");

        // From here the slow query's evaluation waits at the gate for as long as the test wants.
        h.Gate.Shut();
        await h.WriteAsync("INSERT INTO items (id, name) VALUES (1, 'x')");
        await h.Gate.HoldingAsync(SubscriptionHarness.Timeout);
        Assert.Single(await fast.TakeAsync(1));

        // The fast subscriber has its event while the slow query is still running.
        var info = await InfoAsync(h, slow.QueryId);
        Assert.True(info.Evaluating, "the slow evaluation is held at the gate, so it must still be running");
        h.Gate.Open();
        Assert.Single(await slow.TakeAsync(1));
    }

    [Fact]
    public async Task Creating_a_slow_subscription_holds_up_neither_other_events_nor_loses_changes_made_meanwhile()
    {
        await using var h = await SubscriptionHarness.StartAsync();
        await h.WriteAsync("INSERT INTO items (id, name) VALUES (2, 'y')");
        await using var fast = await h.SubscribeAsync("SELECT id, name FROM items");

        // The new subscription's first run is held at the gate on the row already there.
        h.Gate.Shut();
        var creating = h.TrySubscribeAsync($"SELECT i.id, i.name FROM items i WHERE {SqlGate.Function}");
        await h.Gate.HoldingAsync(SubscriptionHarness.Timeout);
        await h.WriteAsync("INSERT INTO items (id, name) VALUES (1, 'x')");
        Assert.Single(await fast.TakeAsync(1));
        Assert.False(creating.IsCompleted, "the subscription's first run is held at the gate, so it cannot be created yet");

        h.Gate.Open();
        await using var slow = (await creating).Stream!;
        var copy = new ClientCopy(slow);
        while (copy.Rendered.Count < 2)
        {
            copy.Apply(Assert.Single(await slow.TakeAsync(1)));
        }

        Assert.Equal(["Integer:1|Text:'x'", "Integer:2|Text:'y'"], copy.Rendered);
    }

    [Fact]
    public async Task Subscriptions_on_one_table_evaluated_by_key_together_each_get_only_their_rows()
    {
        await using var h = await SubscriptionHarness.StartAsync();
        var streams = new List<SubscriptionStream>();
        try
        {
            for (var t = 0; t < 20; t++)
            {
                streams.Add(await h.SubscribeAsync($"SELECT id, team FROM items WHERE team = 't{t}'"));
            }

            // One commit changes a row of every team: all twenty evaluate by key, as one batch.
            await h.WriteAsync(Enumerable.Range(0, 20).Select(t => new Statement($"INSERT INTO items (id, name, team) VALUES ({t}, 'x', 't{t}')")).ToList());
            for (var t = 0; t < 20; t++)
            {
                var insert = Assert.Single(await streams[t].TakeAsync(1));
                Assert.Equal(ChangeKind.Insert, insert.Kind);
                Assert.Equal(new[] { SqlValue.FromInteger(t), SqlValue.FromText($"t{t}") }, insert.Cells);
            }

            await h.WriteAsync("UPDATE items SET team = 't1' WHERE id = 0");
            Assert.Equal(ChangeKind.Delete, Assert.Single(await streams[0].TakeAsync(1)).Kind);
            Assert.Equal(ChangeKind.Insert, Assert.Single(await streams[1].TakeAsync(1)).Kind);

            var info = await InfoAsync(h, streams[5].QueryId);
            Assert.Equal(EvaluationKind.Keyed, info.LastEvaluation);
            Assert.All(streams.Skip(2), s => Assert.False(s.Changes.TryRead(out _), "a subscription got an event for a row that is not its team's"));
        }
        finally
        {
            foreach (var stream in streams)
            {
                await stream.DisposeAsync();
            }
        }
    }

    private static async Task<SubscriptionInfo> InfoAsync(SubscriptionHarness h, string id)
    {
        var outcome = await h.Subscriptions.Ask<SubscriptionInfoOutcome>(r => new GetSubscriptionInfo(id, r), SubscriptionHarness.Timeout);
        Assert.True(outcome.Info is not null, outcome.Error?.Message);
        return outcome.Info!;
    }
}
