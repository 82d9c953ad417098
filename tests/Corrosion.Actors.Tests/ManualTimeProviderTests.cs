using Corrosion.Actors.TestKit;

namespace Corrosion.Actors.Tests;

public sealed class ManualTimeProviderTests
{
    [Fact]
    public void Time_moves_only_when_advanced()
    {
        var start = new DateTimeOffset(2030, 5, 1, 0, 0, 0, TimeSpan.Zero);
        var time = new ManualTimeProvider(start);
        Assert.Equal(start, time.GetUtcNow());

        time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(start.AddSeconds(3), time.GetUtcNow());
        Assert.Equal(TimeSpan.FromSeconds(3), time.GetElapsedTime(start.UtcTicks, time.GetTimestamp()));

        time.SetUtcNow(start.AddMinutes(1));
        Assert.Equal(start.AddMinutes(1), time.GetUtcNow());
        Assert.Throws<ArgumentOutOfRangeException>(() => time.SetUtcNow(start));
    }

    [Fact]
    public void Due_timers_fire_in_due_order_with_the_clock_at_their_due_time()
    {
        var time = new ManualTimeProvider();
        var start = time.GetUtcNow();
        var fired = new List<(string Name, TimeSpan At)>();
        using var late = time.CreateTimer(_ => fired.Add(("late", time.GetUtcNow() - start)), null, TimeSpan.FromSeconds(3), Timeout.InfiniteTimeSpan);
        using var early = time.CreateTimer(_ => fired.Add(("early", time.GetUtcNow() - start)), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        using var periodic = time.CreateTimer(_ => fired.Add(("periodic", time.GetUtcNow() - start)), null, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2));

        time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(
            [("early", TimeSpan.FromSeconds(1)), ("periodic", TimeSpan.FromSeconds(2)), ("late", TimeSpan.FromSeconds(3)), ("periodic", TimeSpan.FromSeconds(4))],
            fired);
        Assert.Equal(start.AddSeconds(5), time.GetUtcNow());
    }

    [Fact]
    public void Disposed_and_changed_timers_follow_their_latest_schedule()
    {
        var time = new ManualTimeProvider();
        var count = 0;
        var timer = time.CreateTimer(_ => count++, null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        Assert.True(timer.Change(TimeSpan.FromSeconds(5), Timeout.InfiniteTimeSpan));
        time.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(0, count);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, count);

        timer.Change(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        timer.Dispose();
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(1, count);
        Assert.False(timer.Change(TimeSpan.Zero, Timeout.InfiniteTimeSpan));
        Assert.Equal(0, time.ActiveTimerCount);
    }

    [Fact]
    public async Task Task_Delay_on_the_provider_completes_only_when_advanced()
    {
        var time = new ManualTimeProvider();
        var delay = Task.Delay(TimeSpan.FromSeconds(10), time);
        Assert.False(delay.IsCompleted);

        time.Advance(TimeSpan.FromSeconds(10));

        await delay.WaitAsync(Kit.Deadline);
    }

    [Fact]
    public async Task Concurrent_advances_and_timer_creation_lose_no_firings()
    {
        var time = new ManualTimeProvider();
        var fired = 0;
        var creators = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 250; i++)
            {
                time.CreateTimer(_ => Interlocked.Increment(ref fired), null, TimeSpan.FromMilliseconds(i % 7), Timeout.InfiniteTimeSpan);
            }
        }));
        var advancer = Task.Run(() =>
        {
            for (var i = 0; i < 500; i++)
            {
                time.Advance(TimeSpan.FromMilliseconds(1));
            }
        });
        await Task.WhenAll([.. creators, advancer]);

        time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(1000, fired);
    }
}
