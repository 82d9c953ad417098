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

    [Fact]
    public void Cheap_evaluations_share_one_slot_and_the_others_take_one_each()
    {
        var scheduler = new EvaluationScheduler(2);
        foreach (var id in new[] { "k1", "slow", "k2", "k3", "full" })
        {
            scheduler.Changed(id, listened: true);
        }

        var groups = scheduler.StartBatches(id => id.StartsWith('k'));

        Assert.Equal([["k1", "k2", "k3"], ["slow"]], groups);
        Assert.Equal(2, scheduler.Running);
        Assert.Equal(1, scheduler.Waiting);
    }

    [Fact]
    public void A_batch_frees_its_slot_when_its_last_evaluation_finished()
    {
        var scheduler = new EvaluationScheduler(1);
        scheduler.Changed("k1", listened: true);
        scheduler.Changed("k2", listened: true);
        scheduler.StartBatches(_ => true);
        scheduler.Changed("full", listened: true);

        scheduler.Finished("k1", again: false);
        Assert.Empty(scheduler.StartBatches(_ => false));
        scheduler.Finished("k2", again: true);

        Assert.Equal([["full"]], scheduler.StartBatches(id => id != "full"));
        Assert.Equal(1, scheduler.Waiting);
    }

    [Fact]
    public void Cheap_evaluations_join_no_batch_while_every_slot_is_taken()
    {
        var scheduler = new EvaluationScheduler(1);
        scheduler.Changed("slow", listened: true);
        Assert.Equal([["slow"]], scheduler.StartBatches(_ => false));

        scheduler.Changed("k1", listened: true);
        Assert.Empty(scheduler.StartBatches(_ => true));

        scheduler.Finished("slow", again: false);
        Assert.Equal([["k1"]], scheduler.StartBatches(_ => true));
    }
}
