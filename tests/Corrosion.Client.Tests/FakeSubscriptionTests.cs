using Microsoft.AspNetCore.Builder;
using Corrosion.Client.Tests.Support;

namespace Corrosion.Client.Tests;

public sealed class FakeSubscriptionTests
{
    private static async Task<(FakeNode Node, CorrosionClient Client)> StartAsync(FakeSubscription fake, Func<HttpMessageHandler, HttpMessageHandler>? handler = null)
    {
        var node = await FakeNode.StartAsync(fake.Map);
        return (node, node.Client(handler: handler));
    }

    /// <summary>Calls <paramref name="onChange"/> with each change id as the consumer receives it.</summary>
    private static async IAsyncEnumerable<SubscriptionEvent> Observe(IAsyncEnumerable<SubscriptionEvent> source, Action<long> onChange)
    {
        await foreach (var e in source)
        {
            if (e is SubscriptionChangeEvent c)
            {
                onChange(c.ChangeId);
            }

            yield return e;
        }
    }

    private static long[] ChangeIds(IEnumerable<SubscriptionEvent> events) =>
        events.OfType<SubscriptionChangeEvent>().Select(c => c.ChangeId).ToArray();

    [Fact]
    public async Task Subscribe_yields_rows_then_end_of_query_then_changes_with_headers_and_columns()
    {
        var fake = FakeSubscription.WithChanges(2);
        var (node, client) = await StartAsync(fake);
        await using var _ = node;
        using var __ = client;

        await using var sub = await client.SubscribeAsync("SELECT id, name FROM t");
        var events = await Events.TakeAsync(sub, 5);

        Assert.Equal(FakeSubscription.QueryId, sub.QueryId);
        Assert.Equal("hash-1", sub.QueryHash);
        Assert.Equal(["id", "name"], sub.Columns);
        var row = Assert.IsType<SubscriptionRowEvent>(events[0]);
        Assert.Equal(1, row.RowId);
        Assert.Equal("a", row.Cells[1].GetString());
        Assert.IsType<SubscriptionRowEvent>(events[1]);
        Assert.Equal(new SubscriptionEndOfQueryEvent(0.001, 0), events[2]);
        var change = Assert.IsType<SubscriptionChangeEvent>(events[3]);
        Assert.Equal((ChangeKind.Insert, 11L, 1L), (change.Kind, change.RowId, change.ChangeId));
        Assert.Equal(2, sub.LastChangeId);
        Assert.Equal(0, sub.Reattachments);
    }

    [Fact]
    public async Task A_jump_in_change_ids_fails_the_subscription_instead_of_hiding_lost_changes()
    {
        var fake = FakeSubscription.WithChanges(3);
        fake.Changes.RemoveAt(1); // the node "forgets" change 2
        var (node, client) = await StartAsync(fake);
        await using var _ = node;
        using var __ = client;

        await using var sub = await client.SubscribeAsync("SELECT id, name FROM t");
        var seen = new List<long>();
        var error = await Assert.ThrowsAsync<CorrosionException>(async () =>
        {
            await foreach (var e in Observe(sub, seen.Add))
            {
            }
        });

        Assert.Equal([1L], seen);
        Assert.Contains("from change 1 to 3", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, sub.LastChangeId);
    }

    [Theory]
    [InlineData(Cut.Abort)]
    [InlineData(Cut.End)]
    [InlineData(Cut.ErrorLine)]
    public async Task A_stream_cut_after_the_end_of_query_resumes_from_the_last_change_without_loss_or_duplicates(Cut cut)
    {
        var fake = new FakeSubscription { ReplayOverlap = 2 };
        for (var i = 1; i <= 10; i++)
        {
            fake.Changes.Add(("update", 1, [1, $"v{i}"], i));
        }

        // rows(2) + eoq + 3 changes, cut; then 4 more changes, cut; then the rest.
        var seen3 = new TaskCompletionSource();
        var seen7 = new TaskCompletionSource();
        fake.Plans.Enqueue(new Plan(Lines: 6, Cut: cut, Gate: seen3.Task));
        fake.Plans.Enqueue(new Plan(Lines: 4 + fake.ReplayOverlap, Cut: cut, Gate: seen7.Task));
        var (node, client) = await StartAsync(fake);
        await using var _ = node;
        using var __ = client;

        await using var sub = await client.SubscribeAsync("SELECT id, name FROM t");
        var events = await Events.TakeAsync(Observe(sub, id =>
        {
            if (id == 3)
            {
                seen3.TrySetResult();
            }

            if (id == 7)
            {
                seen7.TrySetResult();
            }
        }), 2 + 1 + 10);

        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), ChangeIds(events));
        Assert.Equal(2, events.OfType<SubscriptionRowEvent>().Count());
        Assert.Equal(2, sub.Reattachments);
        Assert.Contains("GET /v1/subscriptions/q-1?from=3", node.Requests);
        Assert.Contains("GET /v1/subscriptions/q-1?from=7", node.Requests);
    }

    [Fact]
    public async Task A_stream_cut_during_the_initial_rows_restarts_without_yielding_a_row_twice()
    {
        var fake = FakeSubscription.WithChanges(1);
        fake.Plans.Enqueue(new Plan(Lines: 1, Cut: Cut.Abort));
        var (node, client) = await StartAsync(fake);
        await using var _ = node;
        using var __ = client;

        await using var sub = await client.SubscribeAsync("SELECT id, name FROM t");
        var events = await Events.TakeAsync(sub, 4);

        Assert.Equal([1L, 2L], events.OfType<SubscriptionRowEvent>().Select(r => r.RowId));
        Assert.IsType<SubscriptionEndOfQueryEvent>(events[2]);
        Assert.Equal([1L], ChangeIds(events));
        Assert.Equal(2, node.Count("POST /v1/subscriptions"));
    }

    [Fact]
    public async Task An_expired_change_id_on_resume_surfaces_with_the_oldest_kept_id()
    {
        var fake = FakeSubscription.WithChanges(3);
        var seen1 = new TaskCompletionSource();
        fake.Plans.Enqueue(new Plan(Lines: 4, Cut: Cut.Abort, Gate: seen1.Task)); // rows, eoq, change 1
        var (node, client) = await StartAsync(fake);
        await using var _ = node;
        using var __ = client;

        await using var sub = await client.SubscribeAsync("SELECT id, name FROM t");
        var seen = new List<SubscriptionEvent>();
        var error = await Assert.ThrowsAsync<ChangeIdExpiredException>(async () =>
        {
            await foreach (var e in sub)
            {
                seen.Add(e);
                if (e is SubscriptionChangeEvent)
                {
                    fake.OldestKept = 3; // changes 1..2 pruned while the client is away
                    seen1.TrySetResult();
                }
            }
        });

        Assert.Equal(3, error.OldestChangeId);
        Assert.Equal(410, error.StatusCode);
        Assert.Equal([1L], ChangeIds(seen));
    }

    [Fact]
    public async Task An_unknown_subscription_on_resume_surfaces_as_not_found()
    {
        var fake = FakeSubscription.WithChanges(2);
        fake.Plans.Enqueue(new Plan(Lines: 4, Cut: Cut.End));
        var (node, client) = await StartAsync(fake);
        await using var _ = node;
        using var __ = client;

        await using var sub = await client.SubscribeAsync("SELECT id, name FROM t");
        var error = await Assert.ThrowsAsync<SubscriptionNotFoundException>(async () =>
        {
            await foreach (var e in sub)
            {
                fake.Known = false;
            }
        });

        Assert.Equal(FakeSubscription.QueryId, error.QueryId);
        Assert.Equal(404, error.StatusCode);
    }

    [Fact]
    public async Task ResumeAsync_yields_only_the_changes_after_the_given_id()
    {
        var fake = FakeSubscription.WithChanges(5);
        var (node, client) = await StartAsync(fake);
        await using var _ = node;
        using var __ = client;

        await using var sub = await client.ResumeAsync(FakeSubscription.QueryId, 3);
        var events = await Events.TakeAsync(sub, 2);

        Assert.Equal([4L, 5L], ChangeIds(events));
        Assert.Equal(5, sub.LastChangeId);
        Assert.Equal(["GET /v1/subscriptions/q-1?from=3"], node.Requests);
    }

    [Fact]
    public async Task ResumeAsync_of_an_unknown_subscription_throws_not_found()
    {
        var fake = new FakeSubscription { Known = false };
        var (node, client) = await StartAsync(fake);
        await using var _ = node;
        using var __ = client;

        var error = await Assert.ThrowsAsync<SubscriptionNotFoundException>(() => client.ResumeAsync(FakeSubscription.QueryId, 3));
        Assert.Contains("unknown subscription", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Skip_rows_is_sent_and_the_stream_starts_with_the_end_of_query()
    {
        var fake = FakeSubscription.WithChanges(1);
        var (node, client) = await StartAsync(fake);
        await using var _ = node;
        using var __ = client;

        await using var sub = await client.SubscribeAsync("SELECT id, name FROM t", new SubscribeOptions { SkipRows = true });
        var events = await Events.TakeAsync(sub, 2);

        Assert.IsType<SubscriptionEndOfQueryEvent>(events[0]);
        Assert.IsType<SubscriptionChangeEvent>(events[1]);
        Assert.Contains("POST /v1/subscriptions?skip_rows=true", node.Requests);
    }

    [Fact]
    public async Task Opening_a_subscription_is_retried_on_503_and_on_a_refused_connection()
    {
        var fake = FakeSubscription.WithChanges(0);
        fake.Plans.Enqueue(new Plan(Status: 503));
        fake.Plans.Enqueue(new Plan(Status: 503));
        FlakyHandler? flaky = null;
        var (node, client) = await StartAsync(fake, inner => flaky = new FlakyHandler(inner, failures: 2));
        await using var _ = node;
        using var __ = client;

        await using var sub = await client.SubscribeAsync("SELECT id, name FROM t");

        Assert.Equal(2, flaky!.Failed);
        Assert.Equal(3, node.Count("POST /v1/subscriptions"));
    }

    [Fact]
    public async Task A_bad_statement_is_not_retried_and_carries_the_server_message()
    {
        var node = await FakeNode.StartAsync(app => app.MapPost("/v1/subscriptions", (Microsoft.AspNetCore.Http.HttpContext c) =>
            FakeNode.RefuseAsync(c.Response, 400, new { error = "no such table: nope" })));
        await using var _ = node;
        using var client = node.Client();

        var error = await Assert.ThrowsAsync<CorrosionException>(() => client.SubscribeAsync("SELECT * FROM nope"));

        Assert.Equal(400, error.StatusCode);
        Assert.Equal("no such table: nope", error.Message);
        Assert.Equal(1, node.Count("POST"));
    }

    [Fact]
    public async Task Re_attaching_gives_up_after_the_configured_attempts()
    {
        var fake = FakeSubscription.WithChanges(1);
        var seen1 = new TaskCompletionSource();
        fake.Plans.Enqueue(new Plan(Lines: 4, Cut: Cut.Abort, Gate: seen1.Task));
        for (var i = 0; i < 10; i++)
        {
            fake.Plans.Enqueue(new Plan(Status: 503));
        }

        var (node, client) = await StartAsync(fake);
        await using var _ = node;
        using var __ = client;
        var options = new SubscribeOptions { Retry = FakeNode.Fast with { MaxAttempts = 3 } };

        await using var sub = await client.SubscribeAsync("SELECT id, name FROM t", options);
        var seen = new List<SubscriptionEvent>();
        var error = await Assert.ThrowsAsync<CorrosionException>(async () =>
        {
            await foreach (var e in sub)
            {
                seen.Add(e);
                if (e is SubscriptionChangeEvent)
                {
                    seen1.TrySetResult();
                }
            }
        });

        Assert.Equal(503, error.StatusCode);
        Assert.Contains("gave up after 3 attempts", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, node.Count("GET /v1/subscriptions"));
        Assert.Equal([1L], ChangeIds(seen));
    }

    [Fact]
    public async Task Cancelling_the_enumeration_ends_it_promptly()
    {
        var fake = FakeSubscription.WithChanges(1);
        var (node, client) = await StartAsync(fake);
        await using var _ = node;
        using var __ = client;

        await using var sub = await client.SubscribeAsync("SELECT id, name FROM t");
        using var cts = new CancellationTokenSource();
        var count = 0;
        var started = DateTime.UtcNow;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var e in sub.WithCancellation(cts.Token))
            {
                if (++count == 4)
                {
                    cts.CancelAfter(50); // the stream now holds: the read must be interrupted
                }
            }
        });

        Assert.Equal(4, count);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_subscription_is_enumerated_once()
    {
        var fake = FakeSubscription.WithChanges(0);
        var (node, client) = await StartAsync(fake);
        await using var _ = node;
        using var __ = client;

        await using var sub = await client.SubscribeAsync("SELECT id, name FROM t");
        await Events.TakeAsync(sub, 1);

        Assert.Throws<InvalidOperationException>(() => sub.GetAsyncEnumerator());
    }

    [Fact]
    public async Task Disposing_a_subscription_ends_a_pending_enumeration()
    {
        var fake = FakeSubscription.WithChanges(0);
        var (node, client) = await StartAsync(fake);
        await using var _ = node;
        using var __ = client;

        var sub = await client.SubscribeAsync("SELECT id, name FROM t");
        await using var events = sub.GetAsyncEnumerator();
        for (var i = 0; i < 3; i++)
        {
            Assert.True(await events.MoveNextAsync()); // rows and end of query
        }

        var pending = events.MoveNextAsync().AsTask();
        await sub.DisposeAsync();

        Assert.False(await pending.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(1, node.Count("POST"));
    }

    [Fact]
    public async Task Any_sequence_of_cuts_yields_every_change_exactly_once_in_order()
    {
        for (var seed = 1; seed <= 25; seed++)
        {
            var random = new Random(seed);
            var fake = new FakeSubscription { ReplayOverlap = random.Next(0, 4) };
            var total = random.Next(5, 30);
            for (var i = 1; i <= total; i++)
            {
                fake.Changes.Add(("update", 1 + (i % 3), [i, $"v{i}"], i));
            }

            var cuts = random.Next(0, 8);
            for (var i = 0; i < cuts; i++)
            {
                var plan = random.Next(0, 5) switch
                {
                    0 => new Plan(Status: 503),
                    1 => new Plan(Lines: random.Next(0, 6), Cut: Cut.Abort),
                    2 => new Plan(Lines: random.Next(0, 6), Cut: Cut.ErrorLine),
                    _ => new Plan(Lines: random.Next(0, 6), Cut: Cut.End),
                };
                fake.Plans.Enqueue(plan);
            }

            await using var node = await FakeNode.StartAsync(fake.Map);
            using var client = node.Client(FakeNode.Fast with { MaxAttempts = 50 });
            await using var sub = await client.SubscribeAsync("SELECT id, name FROM t");
            var events = await Events.TakeAsync(sub, 2 + 1 + total);

            Assert.True(
                Enumerable.Range(1, total).Select(i => (long)i).SequenceEqual(ChangeIds(events)),
                $"seed {seed}: {string.Join(",", ChangeIds(events))}; requests {string.Join(" | ", node.Requests)}");
            Assert.Equal([1L, 2L], events.OfType<SubscriptionRowEvent>().Select(r => r.RowId));
        }
    }
}
