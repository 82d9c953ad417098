using Corrosion.Agent.Storage;
using Corrosion.Agent.Subscriptions;

namespace Corrosion.Agent.Tests.Subscriptions;

public sealed class ListenerQueueTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private static SubscriptionChange Change(long id) => new(ChangeKind.Update, 1, [SqlValue.FromObject(id)], id);

    [Fact]
    public async Task An_inline_reader_takes_a_whole_delivery_on_the_waking_thread_before_wake_returns()
    {
        var queue = new ListenerQueue(16, wakeInline: true);
        var reader = new Reader(queue);
        var pump = reader.RunAsync();

        for (var id = 1; id <= 3; id++)
        {
            Assert.True(queue.TryAdd(Change(id)));
        }

        // Nothing is read before the wake: the burst is taken at once.
        Assert.Empty(reader.Batches);
        var waker = Environment.CurrentManagedThreadId;
        queue.Wake();

        var batch = Assert.Single(reader.Batches);
        Assert.Equal([1L, 2L, 3L], batch.Ids);
        Assert.Equal(waker, batch.Thread);

        queue.TryComplete();
        await pump.WaitAsync(Deadline);
    }

    [Fact]
    public async Task A_reader_not_inline_is_resumed_on_another_thread()
    {
        var queue = new ListenerQueue(16, wakeInline: false);
        var reader = new Reader(queue);
        var pump = reader.RunAsync();

        Assert.True(queue.TryAdd(Change(1)));
        Assert.True(queue.TryAdd(Change(2)));
        var waker = Environment.CurrentManagedThreadId;
        queue.Wake();

        // This thread stays busy until the reader has run: it ran elsewhere.
        Assert.True(SpinWait.SpinUntil(() => reader.Batches.Count > 0, Deadline));
        var batch = Assert.Single(reader.Batches);
        Assert.Equal([1L, 2L], batch.Ids);
        Assert.NotEqual(waker, batch.Thread);

        queue.TryComplete();
        await pump.WaitAsync(Deadline);
    }

    [Fact]
    public async Task Completing_with_an_error_hands_over_what_was_added_first_and_then_throws_it()
    {
        var queue = new ListenerQueue(2, wakeInline: true);
        Assert.True(queue.TryAdd(Change(1)));
        Assert.True(queue.TryAdd(Change(2)));
        Assert.False(queue.TryAdd(Change(3)));

        var tooSlow = new SubscriberTooSlowException(2);
        Assert.True(queue.TryComplete(tooSlow));
        Assert.False(queue.TryComplete());
        Assert.False(queue.TryAdd(Change(3)));

        var read = new List<long>();
        var thrown = await Assert.ThrowsAsync<SubscriberTooSlowException>(async () =>
        {
            while (await queue.WaitToReadAsync())
            {
                while (queue.TryRead(out var change))
                {
                    read.Add(change.ChangeId);
                }
            }
        });
        Assert.Same(tooSlow, thrown);
        Assert.Equal([1L, 2L], read);
        await Assert.ThrowsAsync<SubscriberTooSlowException>(() => queue.Completion.WaitAsync(Deadline));
    }

    [Fact]
    public async Task A_waiting_reader_is_told_the_end_when_completed_without_an_error()
    {
        var queue = new ListenerQueue(4, wakeInline: false);
        var wait = queue.WaitToReadAsync();
        Assert.False(wait.IsCompleted);

        queue.TryComplete();

        Assert.False(await wait.AsTask().WaitAsync(Deadline));
        await queue.Completion.WaitAsync(Deadline);
    }

    [Fact]
    public async Task A_cancelled_wait_ends_and_the_next_wait_gets_the_next_wake()
    {
        var queue = new ListenerQueue(4, wakeInline: false);
        using (var cancel = new CancellationTokenSource())
        {
            var wait = queue.WaitToReadAsync(cancel.Token);
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait.AsTask().WaitAsync(Deadline));
        }

        using var unused = new CancellationTokenSource();
        var next = queue.WaitToReadAsync(unused.Token);
        Assert.True(queue.TryAdd(Change(7)));
        queue.Wake();
        Assert.True(await next.AsTask().WaitAsync(Deadline));
        Assert.True(queue.TryRead(out var change));
        Assert.Equal(7, change.ChangeId);
    }

    /// <summary>A pump like the HTTP stream's: waits, then takes everything there, one batch per wake.</summary>
    private sealed class Reader(ListenerQueue queue)
    {
        public List<(List<long> Ids, int Thread)> Batches { get; } = [];

        public async Task RunAsync()
        {
            while (await queue.WaitToReadAsync())
            {
                var ids = new List<long>();
                while (queue.TryRead(out var change))
                {
                    ids.Add(change.ChangeId);
                }

                lock (Batches)
                {
                    Batches.Add((ids, Environment.CurrentManagedThreadId));
                }
            }
        }
    }
}
