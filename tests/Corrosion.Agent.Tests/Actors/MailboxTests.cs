using Akka.Actor;
using Akka.Configuration;
using Corrosion.Agent.Actors;
using Corrosion.Agent.Tests.Support;

namespace Corrosion.Agent.Tests.Actors;

/// <summary>The node's mailbox types, each full on purpose: what waits, what is dropped, and that it is counted.</summary>
public sealed class MailboxTests : NodeTestKit
{
    private const string LongWaiting = "test-mailboxes.long-waiting";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly MetricRecorder _metrics;

    public MailboxTests()
        : base(config: ConfigurationFactory.ParseString($$"""
            {{LongWaiting}} { mailbox-type = "Corrosion.Agent.Actors.WaitingMailbox, Corrosion.Agent", mailbox-capacity = 2, mailbox-push-timeout-time = 60s }
            """))
    {
        _metrics = new MetricRecorder(Sys.Name);
        var counter = Sys.ActorOf(DeadLetterCounter.Props(), "dead-letters");
        // The counter subscribes to dead letters in its PreStart, which runs after ActorOf returns: answering Identify
        // proves it ran, so no test's dead letter is published before anyone counts it (seen once in CI: 0 of 1).
        counter.Ask<ActorIdentity>(new Identify(null), Timeout).GetAwaiter().GetResult();
    }

    [Fact]
    public async Task A_full_drop_oldest_mailbox_drops_its_oldest_message_and_counts_it()
    {
        var (actor, gate, received) = await HeldAsync(TinyDropOldest, "drop-oldest");

        actor.Tell(2);
        actor.Tell(3);
        actor.Tell(4);
        gate.SetResult();

        Assert.Equal([1, 3, 4], Take(received, 3));
        received.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Equal(1, _metrics.Sum(ActorMetrics.MessagesDropped, "/user/drop-oldest"));
        Assert.Equal("drop-oldest", Assert.Single(_metrics.Tags(ActorMetrics.MessagesDropped))["reason"]);
    }

    [Fact]
    public async Task A_full_drop_newest_mailbox_drops_the_incoming_message_and_counts_it()
    {
        var (actor, gate, received) = await HeldAsync(TinyDropNewest, "drop-newest");

        actor.Tell(2);
        actor.Tell(3);
        actor.Tell(4);
        gate.SetResult();

        Assert.Equal([1, 2, 3], Take(received, 3));
        received.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Equal(1, _metrics.Sum(ActorMetrics.MessagesDropped, "/user/drop-newest"));
        Assert.Equal("drop-newest", Assert.Single(_metrics.Tags(ActorMetrics.MessagesDropped))["reason"]);
    }

    [Fact]
    public async Task A_sender_to_a_full_waiting_mailbox_waits_for_room_and_is_delivered()
    {
        var (actor, gate, received) = await HeldAsync(LongWaiting, "waiting");
        actor.Tell(2);
        actor.Tell(3);

        var sending = Task.Run(() => actor.Tell(4));
        await Task.WhenAny(sending, Task.Delay(TimeSpan.FromMilliseconds(300)));
        Assert.False(sending.IsCompleted, "the send into a full mailbox returned at once");
        gate.SetResult();
        await sending.WaitAsync(Timeout);

        Assert.Equal([1, 2, 3, 4], Take(received, 4));
        Assert.Equal(0, _metrics.Sum(ActorMetrics.DeadLetters, "/user/waiting"));
    }

    [Fact]
    public async Task A_message_dropped_when_full_does_not_wait_for_room_and_is_a_counted_dead_letter()
    {
        // The storage actor's events: the writer must never wait for a listener (60 s push timeout here).
        var (actor, gate, received) = await HeldAsync(LongWaiting, "waiting");
        actor.Tell(2);
        actor.Tell(3);

        var sending = Task.Run(() => actor.Tell(new Droppable()));
        await sending.WaitAsync(TimeSpan.FromSeconds(10));
        AwaitAssert(() => Assert.Equal(1, _metrics.Sum(ActorMetrics.DeadLetters, "/user/waiting")), Timeout);
        gate.SetResult();

        Assert.Equal([1, 2, 3], Take(received, 3));
    }

    [Fact]
    public async Task A_message_still_without_room_after_the_push_timeout_is_a_counted_dead_letter()
    {
        var (actor, gate, received) = await HeldAsync(TinyWaiting, "waiting");
        actor.Tell(2);
        actor.Tell(3);

        actor.Tell(4); // waits the mailbox's 300 ms push timeout, then gives up
        gate.SetResult();

        Assert.Equal([1, 2, 3], Take(received, 3));
        AwaitAssert(() => Assert.Equal(1, _metrics.Sum(ActorMetrics.DeadLetters, "/user/waiting")), Timeout);
        received.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task A_timer_tick_into_a_full_waiting_mailbox_does_not_stall_other_actors_timers()
    {
        var received = CreateTestProbe();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var actor = Sys.ActorOf(Props.Create(() => new GatedActor(gate.Task, holding, received.Ref, TimeSpan.FromMilliseconds(300))).WithMailbox(LongWaiting), "ticking");
        actor.Tell(1);
        await holding.Task.WaitAsync(Timeout);
        actor.Tell(2);
        actor.Tell(3);

        // Its own tick (due 300 ms after it started) finds the mailbox full. Akka's scheduler delivers
        // every timer from one thread: had the tick waited for room (60 s), this one could not fire.
        Sys.ActorOf(Props.Create(() => new TickOnce(received.Ref, TimeSpan.FromMilliseconds(600))), "other");
        received.ExpectMsg("other-tick", TimeSpan.FromSeconds(10));
        gate.SetResult();

        Assert.Equal([1, 2, 3], Take(received, 3));
        received.ExpectMsg("tick", Timeout);
    }

    [Theory]
    [InlineData(LongWaiting)]
    [InlineData(TinyDropNewest)]
    public async Task The_depth_of_a_bounded_mailbox_is_observed_until_its_actor_stops(string mailbox)
    {
        var (actor, gate, received) = await HeldAsync(mailbox, "deep");
        actor.Tell(2);
        actor.Tell(3);

        var full = _metrics.Observe(ActorMetrics.MailboxDepth, "/user/deep");
        gate.SetResult();
        Assert.Equal([1, 2, 3], Take(received, 3));
        Watch(actor);
        Sys.Stop(actor);
        ExpectTerminated(actor, Timeout);

        Assert.Equal(2, full);
        AwaitAssert(() => Assert.Null(_metrics.Observe(ActorMetrics.MailboxDepth, "/user/deep")), Timeout);
    }

    [Fact]
    public void A_message_to_a_stopped_actor_is_a_counted_dead_letter()
    {
        var actor = Sys.ActorOf(Props.Create(() => new TickOnce(TestActor, TimeSpan.FromHours(1))), "stopped");
        Watch(actor);
        Sys.Stop(actor);
        ExpectTerminated(actor, Timeout);

        actor.Tell("hello");

        AwaitAssert(() => Assert.Equal(1, _metrics.Sum(ActorMetrics.DeadLetters, "/user/stopped")), Timeout);
    }

    /// <summary>An actor with <paramref name="mailbox"/> busy with message 1 until the gate opens.</summary>
    private async Task<(IActorRef Actor, TaskCompletionSource Gate, Akka.TestKit.TestProbe Received)> HeldAsync(string mailbox, string name)
    {
        var received = CreateTestProbe();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var actor = Sys.ActorOf(Props.Create(() => new GatedActor(gate.Task, holding, received.Ref, null)).WithMailbox(mailbox), name);
        actor.Tell(1);
        await holding.Task.WaitAsync(Timeout);
        return (actor, gate, received);
    }

    private static List<int> Take(Akka.TestKit.TestProbe probe, int count) =>
        Enumerable.Range(0, count).Select(_ => probe.ExpectMsg<int>(Timeout)).ToList();

    protected override void AfterAll()
    {
        base.AfterAll();
        _metrics.Dispose();
    }

    /// <summary>Holds its first message until the gate opens, then passes every message on; optionally ticks once.</summary>
    private sealed record Droppable : IDroppedWhenFull;

    private sealed class GatedActor : ReceiveActor, IWithTimers
    {
        private readonly TimeSpan? _tick;

        public GatedActor(Task gate, TaskCompletionSource holding, IActorRef received, TimeSpan? tick)
        {
            _tick = tick;
            ReceiveAsync<int>(async n =>
            {
                holding.TrySetResult();
                await gate;
                received.Tell(n);
            });
            Receive<string>(s => received.Tell(s));
        }

        public ITimerScheduler Timers { get; set; } = null!;

        protected override void PreStart()
        {
            if (_tick is { } tick)
            {
                Timers.StartSingleTimer("tick", "tick", tick);
            }
        }
    }

    private sealed class TickOnce : ReceiveActor, IWithTimers
    {
        public TickOnce(IActorRef received, TimeSpan after)
        {
            Receive<string>(_ => received.Tell("other-tick"));
            After = after;
        }

        public ITimerScheduler Timers { get; set; } = null!;

        private TimeSpan After { get; }

        protected override void PreStart() => Timers.StartSingleTimer("tick", "tick", After);
    }
}
