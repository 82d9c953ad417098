using Corrosion.Client.Tests.Support;

namespace Corrosion.Client.Tests;

/// <summary>The client against a real in-process node over loopback HTTP.</summary>
public sealed class RealNodeTests
{
    public sealed record Machine(long Id, string Name, string? Rack, double? Load);

    private static ClientStatement Insert(long id, string name, string? rack = null) =>
        ClientStatement.Of("INSERT INTO machines (id, name, rack) VALUES (?, ?, ?)", id, name, rack);

    private static async Task<List<Machine>> AllAsync(CorrosionClient client)
    {
        var list = new List<Machine>();
        await foreach (var m in client.QueryAsync<Machine>("SELECT id, name, rack, load FROM machines ORDER BY id"))
        {
            list.Add(m);
        }

        return list;
    }

    /// <summary>Applies subscription events to a local copy of the result, keyed by row id.</summary>
    private static void Apply(Dictionary<long, Machine> copy, CorrosionSubscription sub, SubscriptionEvent e)
    {
        switch (e)
        {
            case SubscriptionRowEvent r:
                copy[r.RowId] = sub.Map<Machine>(r.Cells);
                break;
            case SubscriptionChangeEvent { Kind: ChangeKind.Delete } c:
                Assert.True(copy.Remove(c.RowId), $"delete of unknown row {c.RowId}");
                break;
            case SubscriptionChangeEvent { Kind: ChangeKind.Insert } c:
                Assert.True(copy.TryAdd(c.RowId, sub.Map<Machine>(c.Cells)), $"insert of existing row {c.RowId}");
                break;
            case SubscriptionChangeEvent c:
                Assert.True(copy.ContainsKey(c.RowId), $"update of unknown row {c.RowId}");
                copy[c.RowId] = sub.Map<Machine>(c.Cells);
                break;
        }
    }

    [Fact]
    public async Task Execute_then_typed_query_round_trips_parameters()
    {
        await using var node = await RealNode.StartAsync();
        using var client = node.Client();

        var result = await client.ExecuteAsync([Insert(1, "m1", "r1"), ClientStatement.Of("UPDATE machines SET load = ? WHERE id = ?", 0.25, 1)]);
        var machines = await AllAsync(client);

        Assert.Equal([1L, 1L], result.RowsAffected);
        Assert.NotNull(result.Version);
        Assert.Equal([new Machine(1, "m1", "r1", 0.25)], machines);
    }

    [Fact]
    public async Task An_integral_double_parameter_stays_a_real_and_an_integer_an_integer()
    {
        await using var node = await RealNode.StartAsync();
        using var client = node.Client();

        var result = await client.QueryAsync(ClientStatement.Of("SELECT typeof(?), typeof(?), typeof(?), typeof(?)", 7.0, 7L, -0.0, 2.5f));
        var types = new List<string?>();
        await foreach (var row in result.Rows)
        {
            types.AddRange(row.Cells.Select(c => c.GetString()));
        }

        Assert.Equal(["real", "integer", "real", "real"], types);
    }

    [Fact]
    public async Task Subscription_yields_rows_end_of_query_and_insert_update_delete()
    {
        await using var node = await RealNode.StartAsync();
        using var client = node.Client();
        await client.ExecuteAsync(Insert(1, "m1"));

        await using var sub = await client.SubscribeAsync("SELECT id, name, rack, load FROM machines");
        await using var events = sub.GetAsyncEnumerator();
        Assert.True(await events.MoveNextAsync());
        var row = Assert.IsType<SubscriptionRowEvent>(events.Current);
        Assert.True(await events.MoveNextAsync());
        var eoq = Assert.IsType<SubscriptionEndOfQueryEvent>(events.Current);

        // One write at a time: writes inside one batch window may come as one diff, in row order.
        var changes = new List<SubscriptionChangeEvent>();
        ClientStatement[] writes = [Insert(2, "m2"), "UPDATE machines SET name = 'renamed' WHERE id = 1", "DELETE FROM machines WHERE id = 2"];
        foreach (var write in writes)
        {
            await client.ExecuteAsync(write);
            Assert.True(await events.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20)));
            changes.Add(Assert.IsType<SubscriptionChangeEvent>(events.Current));
        }

        Assert.Equal(new Machine(1, "m1", null, null), sub.Map<Machine>(row.Cells));
        Assert.Equal([ChangeKind.Insert, ChangeKind.Update, ChangeKind.Delete], changes.Select(c => c.Kind));
        Assert.Equal(row.RowId, changes[1].RowId);
        Assert.Equal("renamed", sub.Map<Machine>(changes[1].Cells).Name);
        Assert.Equal(changes[0].RowId, changes[2].RowId);
        Assert.Equal([eoq.ChangeId + 1, eoq.ChangeId + 2, eoq.ChangeId + 3], changes.Select(c => c.ChangeId));
        Assert.Equal(eoq.ChangeId + 3, sub.LastChangeId);
        Assert.False(string.IsNullOrEmpty(sub.QueryId));
        Assert.False(string.IsNullOrEmpty(sub.QueryHash));
    }

    [Fact]
    public async Task A_slow_subscriber_whose_stream_the_node_ends_resumes_without_loss_or_duplicates()
    {
        await using var node = await RealNode.StartAsync(o => o.Subscriptions = o.Subscriptions with { SubscriberBuffer = 1 });
        using var client = node.Client();

        await using var sub = await client.SubscribeAsync("SELECT id, name, rack, load FROM machines");
        var copy = new Dictionary<long, Machine>();
        var seen = new List<long>();
        const int Bursts = 5;
        const int PerBurst = 40;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var writes = 0;
        await foreach (var e in sub.WithCancellation(deadline.Token))
        {
            Apply(copy, sub, e);
            if (e is SubscriptionChangeEvent c)
            {
                seen.Add(c.ChangeId);
            }

            if (e is SubscriptionEndOfQueryEvent || (e is SubscriptionChangeEvent && copy.Count == writes * PerBurst && writes < Bursts))
            {
                if (writes == Bursts)
                {
                    break;
                }

                // One transaction of many rows: one diff of many changes, far more than the buffer of 1.
                writes++;
                await client.ExecuteAsync(Enumerable.Range(0, PerBurst).Select(i => Insert(((writes - 1) * PerBurst) + i + 1, $"m{i}")));
            }

            if (copy.Count == Bursts * PerBurst)
            {
                break;
            }
        }

        Assert.True(sub.Reattachments >= 1, "the node never ended the stream: the test did not test resuming");
        Assert.Equal(Enumerable.Range(1, seen.Count).Select(i => seen[0] + i - 1), seen);
        Assert.Equal((await AllAsync(client)).ToHashSet(), copy.Values.ToHashSet());
    }

    [Fact]
    public async Task ResumeAsync_from_a_persisted_change_id_delivers_the_changes_made_while_away()
    {
        await using var node = await RealNode.StartAsync();
        using var client = node.Client();
        string id;
        long last;
        await using (var sub = await client.SubscribeAsync("SELECT id, name, rack, load FROM machines", new SubscribeOptions { SkipRows = true }))
        {
            var first = await Events.TakeAsync(sub, 1);
            id = sub.QueryId;
            last = Assert.IsType<SubscriptionEndOfQueryEvent>(first[0]).ChangeId;
        }

        await client.ExecuteAsync(Insert(1, "m1"));
        await client.ExecuteAsync(Insert(2, "m2"));
        await using var resumed = await client.ResumeAsync(id, last);
        var events = await Events.TakeAsync(resumed, 2);

        Assert.Equal([last + 1, last + 2], events.Cast<SubscriptionChangeEvent>().Select(c => c.ChangeId));
        Assert.Equal(["m1", "m2"], events.Cast<SubscriptionChangeEvent>().Select(c => resumed.Map<Machine>(c.Cells).Name));
    }

    [Fact]
    public async Task Resuming_from_a_pruned_change_id_throws_change_id_expired_with_the_oldest_id()
    {
        await using var node = await RealNode.StartAsync(o => o.Subscriptions = o.Subscriptions with { MaxChangeLog = 2 });
        using var client = node.Client();
        await using var sub = await client.SubscribeAsync("SELECT id, name FROM machines", new SubscribeOptions { SkipRows = true });
        var id = sub.QueryId;
        for (var i = 1; i <= 5; i++)
        {
            await client.ExecuteAsync(Insert(i, $"m{i}"));
        }

        // Once the subscription has produced all five changes, only the last two are kept.
        await Events.TakeAsync(sub, 1 + 5);

        var error = await Assert.ThrowsAsync<ChangeIdExpiredException>(() => client.ResumeAsync(id, 0));

        Assert.Equal(410, error.StatusCode);
        Assert.NotNull(error.OldestChangeId);
        Assert.True(error.OldestChangeId > 1, error.Message);
    }

    [Fact]
    public async Task Resuming_an_unknown_subscription_throws_not_found()
    {
        await using var node = await RealNode.StartAsync();
        using var client = node.Client();

        var error = await Assert.ThrowsAsync<SubscriptionNotFoundException>(() => client.ResumeAsync("no-such-id", 0));

        Assert.Equal("no-such-id", error.QueryId);
    }

    [Fact]
    public async Task A_bad_statement_is_refused_with_the_server_message()
    {
        await using var node = await RealNode.StartAsync();
        using var client = node.Client();

        var error = await Assert.ThrowsAsync<CorrosionException>(() => client.SubscribeAsync("SELECT * FROM nope"));

        Assert.Equal(400, error.StatusCode);
        Assert.Contains("nope", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_subscription_survives_a_node_restart_and_goes_on_from_its_last_change()
    {
        await using var node = await RealNode.StartAsync();
        using var client = node.Client();
        await using var sub = await client.SubscribeAsync("SELECT id, name, rack, load FROM machines");
        var copy = new Dictionary<long, Machine>();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var restarted = false;
        await client.ExecuteAsync(Insert(1, "before"));
        await foreach (var e in sub.WithCancellation(deadline.Token))
        {
            Apply(copy, sub, e);
            if (!restarted && copy.ContainsKey(1) && e is SubscriptionChangeEvent)
            {
                restarted = true;
                await node.StopAsync();
                await node.StartAgainAsync();
                await client.ExecuteAsync(Insert(2, "after"));
            }

            if (copy.Count == 2)
            {
                break;
            }
        }

        Assert.Equal(["before", "after"], copy.Values.OrderBy(m => m.Id).Select(m => m.Name));
        Assert.True(sub.Reattachments >= 1);
    }

    [Fact]
    public async Task Updates_stream_the_primary_keys_of_changed_rows()
    {
        await using var node = await RealNode.StartAsync();
        using var client = node.Client();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        // WatchAsync returns once the node holds the watch: the next writes are all notified.
        var watch = await client.WatchAsync("machines", deadline.Token);
        var updates = watch.GetAsyncEnumerator(deadline.Token);
        await using var _ = updates;
        await client.ExecuteAsync(Insert(1, "m1"));
        await client.ExecuteAsync(ClientStatement.Of("DELETE FROM machines WHERE id = 1"));
        var seen = new List<UpdateNotification>();
        while (seen.Count < 2)
        {
            Assert.True(await updates.MoveNextAsync());
            seen.Add(updates.Current);
        }

        Assert.Equal([UpdateKind.Update, UpdateKind.Delete], seen.Select(u => u.Kind));
        Assert.All(seen, u => Assert.Equal(1, u.PrimaryKey.Single().GetInt64()));
    }

    [Fact]
    public async Task Updates_of_an_unknown_table_throw_400_as_corrosion_answers()
    {
        await using var node = await RealNode.StartAsync();
        using var client = node.Client();

        var error = await Assert.ThrowsAsync<CorrosionException>(() => Events.TakeAsync(client.UpdatesAsync("nope"), 1));

        Assert.Equal(400, error.StatusCode);
        Assert.Contains("nope", error.Message, StringComparison.Ordinal);
    }
}
