namespace Corrosion.Simulation.Tests;

public sealed class DiscreteEventSchedulerTests
{
    [Fact]
    public void Events_run_in_time_order_and_ties_in_scheduling_order()
    {
        var s = new DiscreteEventScheduler();
        var order = new List<string>();
        s.At(30, () => order.Add("c"));
        s.At(10, () => order.Add("a1"));
        s.At(10, () => order.Add("a2"));
        s.At(20, () => s.After(5, () => order.Add("b+5")));
        s.RunUntil(100);
        Assert.Equal(["a1", "a2", "b+5", "c"], order);
        Assert.Equal(100, s.NowMs);
    }

    [Fact]
    public void Run_until_condition_stops_at_the_event_that_makes_it_true()
    {
        var s = new DiscreteEventScheduler();
        var hits = 0;
        for (var t = 1; t <= 10; t++)
        {
            s.At(t * 100, () => hits++);
        }

        Assert.True(s.RunUntil(() => hits == 3, 10_000));
        Assert.Equal(300, s.NowMs);
        Assert.False(s.RunUntil(() => hits == 99, 2_000));
        Assert.Equal(2_000, s.NowMs);
    }

    [Fact]
    public void Events_cannot_be_scheduled_in_the_past()
    {
        var s = new DiscreteEventScheduler();
        s.RunUntil(50);
        long ranAt = -1;
        s.At(10, () => ranAt = s.NowMs);
        s.Step();
        Assert.Equal(50, ranAt);
    }
}
