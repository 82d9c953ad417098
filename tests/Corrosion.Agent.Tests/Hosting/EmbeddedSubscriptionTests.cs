using Corrosion.Agent.Hosting;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Subscriptions;

namespace Corrosion.Agent.Tests.Hosting;

public sealed class EmbeddedSubscriptionTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private static Statement Insert(string id, string region) =>
        new("INSERT INTO machines (id, region) VALUES (?, ?)", [SqlValue.FromText(id), SqlValue.FromText(region)]);

    private static Statement Machines => new("SELECT id, region FROM machines");

    private static async Task<SubscriptionEvent> NextAsync(IAsyncEnumerator<SubscriptionEvent> events)
    {
        Assert.True(await events.MoveNextAsync().AsTask().WaitAsync(Deadline), "the subscription ended early");
        return events.Current;
    }

    private static string Cells(IReadOnlyList<SqlValue> cells) => string.Join(",", cells.Select(c => c.AsText));

    [Fact]
    public async Task A_subscription_yields_the_rows_the_end_of_query_then_every_kind_of_change()
    {
        await using var host = await EmbeddedHost.StartAsync();
        await host.Client.ExecuteAsync(Insert("m1", "ams"));
        await using var subscription = await host.Client.SubscribeAsync(Machines);
        await using var events = subscription.GetAsyncEnumerator();

        var row = Assert.IsType<SubscriptionRowEvent>(await NextAsync(events));
        var eoq = Assert.IsType<SubscriptionEndOfQueryEvent>(await NextAsync(events));
        Assert.Equal(["id", "region"], subscription.Columns);
        Assert.Equal("m1,ams", Cells(row.Cells));

        await host.Client.ExecuteAsync(Insert("m2", "cdg"));
        var insert = Assert.IsType<SubscriptionChangeEvent>(await NextAsync(events));
        await host.Client.ExecuteAsync(new Statement("UPDATE machines SET region = 'fra' WHERE id = 'm1'"));
        var update = Assert.IsType<SubscriptionChangeEvent>(await NextAsync(events));
        await host.Client.ExecuteAsync(new Statement("DELETE FROM machines WHERE id = 'm2'"));
        var delete = Assert.IsType<SubscriptionChangeEvent>(await NextAsync(events));

        Assert.Equal((ChangeKind.Insert, "m2,cdg"), (insert.Kind, Cells(insert.Cells)));
        Assert.Equal((ChangeKind.Update, "m1,fra", row.RowId), (update.Kind, Cells(update.Cells), update.RowId));
        Assert.Equal((ChangeKind.Delete, insert.RowId), (delete.Kind, delete.RowId));
        Assert.Equal([eoq.ChangeId + 1, eoq.ChangeId + 2, eoq.ChangeId + 3], new[] { insert.ChangeId, update.ChangeId, delete.ChangeId });
        Assert.Equal(delete.ChangeId, subscription.LastChangeId);
    }

    [Fact]
    public async Task Skipping_rows_keeps_the_end_of_query_mark()
    {
        await using var host = await EmbeddedHost.StartAsync();
        await host.Client.ExecuteAsync(Insert("m1", "ams"));
        await using var subscription = await host.Client.SubscribeAsync(Machines, skipRows: true);
        await using var events = subscription.GetAsyncEnumerator();

        Assert.IsType<SubscriptionEndOfQueryEvent>(await NextAsync(events));
    }

    [Fact]
    public async Task Resuming_from_a_change_id_yields_exactly_the_changes_after_it()
    {
        await using var host = await EmbeddedHost.StartAsync();
        string queryId;
        long seen;
        await using (var first = await host.Client.SubscribeAsync(Machines))
        {
            await using var events = first.GetAsyncEnumerator();
            await host.Client.ExecuteAsync(Insert("m1", "ams"));
            Assert.IsType<SubscriptionEndOfQueryEvent>(await NextAsync(events));
            var change = Assert.IsType<SubscriptionChangeEvent>(await NextAsync(events));
            queryId = first.QueryId;
            seen = change.ChangeId;
        }

        await host.Client.ExecuteAsync(Insert("m2", "cdg"));
        await host.Client.ExecuteAsync(Insert("m3", "fra"));
        await using var resumed = await host.Client.ResumeAsync(queryId, seen);
        await using var more = resumed.GetAsyncEnumerator();

        var a = Assert.IsType<SubscriptionChangeEvent>(await NextAsync(more));
        var b = Assert.IsType<SubscriptionChangeEvent>(await NextAsync(more));
        Assert.Equal(["m2,cdg", "m3,fra"], new[] { Cells(a.Cells), Cells(b.Cells) });
        Assert.Equal([seen + 1, seen + 2], new[] { a.ChangeId, b.ChangeId });
    }

    [Fact]
    public async Task A_subscription_outlives_a_restart_of_its_host()
    {
        using var dir = new Support.TempDirectory();
        string queryId;
        long seen;
        await using (var host = await EmbeddedHost.StartAsync(dir: dir))
        {
            await using var subscription = await host.Client.SubscribeAsync(Machines);
            await using var events = subscription.GetAsyncEnumerator();
            await host.Client.ExecuteAsync(Insert("m1", "ams"));
            Assert.IsType<SubscriptionEndOfQueryEvent>(await NextAsync(events));
            seen = Assert.IsType<SubscriptionChangeEvent>(await NextAsync(events)).ChangeId;
            queryId = subscription.QueryId;
        }

        await using var again = await EmbeddedHost.StartAsync(dir: dir);
        await using var resumed = await again.Client.ResumeAsync(queryId, seen);
        await using var more = resumed.GetAsyncEnumerator();
        await again.Client.ExecuteAsync(Insert("m2", "cdg"));

        var change = Assert.IsType<SubscriptionChangeEvent>(await NextAsync(more));
        Assert.Equal((ChangeKind.Insert, "m2,cdg", seen + 1), (change.Kind, Cells(change.Cells), change.ChangeId));
    }

    [Fact]
    public async Task A_listener_that_falls_behind_resumes_by_itself_without_losing_or_repeating_a_change()
    {
        await using var host = await EmbeddedHost.StartAsync(new Dictionary<string, string?> { ["subscriptions:subscriber_buffer"] = "2" });
        await using var subscription = await host.Client.SubscribeAsync(Machines, skipRows: true);
        await using var events = subscription.GetAsyncEnumerator();
        var eoq = Assert.IsType<SubscriptionEndOfQueryEvent>(await NextAsync(events));

        const int Writes = 20;
        for (var i = 0; i < Writes; i++)
        {
            await host.Client.ExecuteAsync(Insert($"m{i:D2}", "ams"));
        }

        var changes = new List<SubscriptionChangeEvent>();
        while (changes.Count < Writes)
        {
            changes.Add(Assert.IsType<SubscriptionChangeEvent>(await NextAsync(events)));
        }

        Assert.Equal(Enumerable.Range(1, Writes).Select(i => eoq.ChangeId + i), changes.Select(c => c.ChangeId));
        Assert.Equal(Enumerable.Range(0, Writes).Select(i => $"m{i:D2}"), changes.Select(c => c.Cells[0].AsText).Order(StringComparer.Ordinal));
        Assert.True(subscription.Resumes >= 1, "the listener never overflowed, so resuming was not exercised");
    }

    [Fact]
    public async Task A_query_the_node_cannot_subscribe_to_is_refused_with_its_reason()
    {
        await using var host = await EmbeddedHost.StartAsync();

        var error = await Assert.ThrowsAsync<SubscriptionFailedException>(() => host.Client.SubscribeAsync(new Statement("SELECT * FROM no_such_table")));

        Assert.Equal(SubscriptionErrorKind.BadQuery, error.Kind);
        Assert.Contains("no_such_table", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resuming_an_unknown_subscription_is_not_found()
    {
        await using var host = await EmbeddedHost.StartAsync();

        var error = await Assert.ThrowsAsync<SubscriptionFailedException>(() => host.Client.ResumeAsync("no-such-id", 0));

        Assert.Equal(SubscriptionErrorKind.NotFound, error.Kind);
    }

    [Fact]
    public async Task A_table_watch_the_node_refuses_throws_with_its_reason()
    {
        await using var host = await EmbeddedHost.StartAsync();

        var error = await Assert.ThrowsAsync<SubscriptionFailedException>(() => host.Client.WatchAsync("no_such_table"));

        Assert.False(string.IsNullOrEmpty(error.Error.Message));
    }

    [Fact]
    public async Task A_table_watch_gets_each_changed_key()
    {
        await using var host = await EmbeddedHost.StartAsync();
        await using var watch = await host.Client.WatchAsync("machines");

        await host.Client.ExecuteAsync(Insert("m1", "ams"));
        await host.Client.ExecuteAsync(new Statement("DELETE FROM machines WHERE id = 'm1'"));

        using var deadline = new CancellationTokenSource(Deadline);
        var first = await watch.Notifications.ReadAsync(deadline.Token);
        var second = await watch.Notifications.ReadAsync(deadline.Token);
        Assert.Equal(["id"], watch.KeyColumns);
        Assert.Equal((UpdateKind.Update, "m1"), (first.Kind, first.Pk[0].AsText));
        Assert.Equal((UpdateKind.Delete, "m1"), (second.Kind, second.Pk[0].AsText));
    }
}
