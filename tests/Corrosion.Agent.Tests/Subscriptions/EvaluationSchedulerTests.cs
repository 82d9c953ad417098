using Corrosion.Agent.Subscriptions;

namespace Corrosion.Agent.Tests.Subscriptions;

public sealed class EvaluationSchedulerTests
{
    [Fact]
    public void A_change_to_a_listened_subscription_starts_at_once()
    {
        var scheduler = new EvaluationScheduler(2);

        scheduler.Changed("a", listened: true);

        Assert.Equal(["a"], scheduler.Start());
        Assert.True(scheduler.IsRunning("a"));
    }

    [Fact]
    public void Changes_while_running_are_coalesced_into_one_more_evaluation()
    {
        var scheduler = new EvaluationScheduler(2);
        scheduler.Changed("a", listened: true);
        scheduler.Start();

        scheduler.Changed("a", listened: true);
        scheduler.Changed("a", listened: true);
        Assert.Empty(scheduler.Start());

        scheduler.Finished("a", again: true);
        Assert.Equal(["a"], scheduler.Start());
        scheduler.Finished("a", again: false);
        Assert.Empty(scheduler.Start());
    }

    [Fact]
    public void A_subscription_without_listeners_is_not_scheduled_until_wanted()
    {
        var scheduler = new EvaluationScheduler(2);

        scheduler.Changed("idle", listened: false);
        Assert.Empty(scheduler.Start());

        scheduler.Want("idle");
        Assert.Equal(["idle"], scheduler.Start());
    }

    [Fact]
    public void A_slow_evaluation_holds_one_slot_while_the_others_keep_going()
    {
        var scheduler = new EvaluationScheduler(2);
        scheduler.Changed("slow", listened: true);
        Assert.Equal(["slow"], scheduler.Start());

        for (var round = 0; round < 3; round++)
        {
            scheduler.Changed("fast1", listened: true);
            scheduler.Changed("fast2", listened: true);
            Assert.Equal(["fast1"], scheduler.Start());
            scheduler.Finished("fast1", again: false);
            Assert.Equal(["fast2"], scheduler.Start());
            scheduler.Finished("fast2", again: false);
        }

        Assert.True(scheduler.IsRunning("slow"));
    }

    [Fact]
    public void At_most_the_bound_run_at_once_and_the_rest_wait_in_order()
    {
        var scheduler = new EvaluationScheduler(2);
        foreach (var id in new[] { "a", "b", "c", "d" })
        {
            scheduler.Changed(id, listened: true);
        }

        Assert.Equal(["a", "b"], scheduler.Start());
        Assert.Equal(2, scheduler.Waiting);
        scheduler.Finished("b", again: false);
        Assert.Equal(["c"], scheduler.Start());
    }

    [Fact]
    public void A_removed_subscription_never_starts()
    {
        var scheduler = new EvaluationScheduler(1);
        scheduler.Changed("a", listened: true);
        scheduler.Changed("b", listened: true);
        scheduler.Start();

        scheduler.Remove("b");
        scheduler.Finished("a", again: false);

        Assert.Empty(scheduler.Start());
    }
}
