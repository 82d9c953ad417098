using Akka.Actor;
using Corrosion.Agent.Actors;
using Corrosion.Agent.Tests.Support;

namespace Corrosion.Agent.Tests.Actors;

/// <summary>The node's Akka scheduler (reference.conf's <c>akka.scheduler.implementation</c>) on .NET timers.</summary>
public sealed class TimerQueueSchedulerTests : NodeTestKit
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private TimerQueueScheduler Scheduler => Assert.IsType<TimerQueueScheduler>(Sys.Scheduler);

    [Fact]
    public void A_scheduled_tell_arrives_after_its_delay_unwrapped()
    {
        var started = DateTime.UtcNow;

        ((ITellScheduler)Scheduler).ScheduleTellOnce(TimeSpan.FromMilliseconds(200), TestActor, "due", ActorRefs.NoSender);

        Assert.Equal("due", ExpectMsg<string>(Timeout));
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(190));
    }

    [Fact]
    public void A_cancelled_tell_never_arrives_and_leaves_nothing_pending()
    {
        var cancel = Scheduler.ScheduleTellOnceCancelable(TimeSpan.FromMilliseconds(300), TestActor, "cancelled", ActorRefs.NoSender);
        var pending = Scheduler.PendingCount;

        cancel.Cancel();

        Assert.Equal(pending - 1, Scheduler.PendingCount);
        ExpectNoMsg(TimeSpan.FromMilliseconds(600));
    }

    [Fact]
    public void A_repeating_tell_repeats_until_cancelled()
    {
        var cancel = Scheduler.ScheduleTellRepeatedlyCancelable(TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(50), TestActor, "again", ActorRefs.NoSender);

        Assert.Equal("again", ExpectMsg<string>(Timeout));
        Assert.Equal("again", ExpectMsg<string>(Timeout));
        Assert.Equal("again", ExpectMsg<string>(Timeout));
        cancel.Cancel();
        ReceiveWhile<object>(TimeSpan.FromMilliseconds(200), o => o);
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void Actor_timers_run_on_it()
    {
        Sys.ActorOf(Props.Create(() => new Ticker(TestActor)));

        Assert.Equal("tick", ExpectMsg<string>(Timeout));
    }

    private sealed class Ticker : ReceiveActor, IWithTimers
    {
        public Ticker(IActorRef target) => Receive<string>(s => target.Tell(s));

        public ITimerScheduler Timers { get; set; } = null!;

        protected override void PreStart() => Timers.StartSingleTimer("t", "tick", TimeSpan.FromMilliseconds(50));
    }
}
