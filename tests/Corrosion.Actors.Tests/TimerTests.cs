using Corrosion.Actors.TestKit;

namespace Corrosion.Actors.Tests;

public sealed class TimerTests
{
    /// <summary>
    /// Commands: "single:key:msg:ms", "periodic:key:msg:ms", "cancel:key", "cancelall", "active:key", "boom",
    /// "block" (waits for the gate, then re-arms key k with "t2" after 1 s). Everything else is reported to the probe.
    /// </summary>
    private static Func<Actor<string>> TimerActor(TestProbe<string> probe, TaskCompletionSource? gate = null) => new Script<string>
    {
        PreStart = a => { probe.Ref.Tell($"start:{a.Incarnation}"); return ValueTask.CompletedTask; },
        Receive = async (a, m) =>
        {
            var parts = m.Split(':');
            switch (parts[0])
            {
                case "single":
                    a.Ctx.Timers.StartSingleTimer(parts[1], parts[2], TimeSpan.FromMilliseconds(int.Parse(parts[3], System.Globalization.CultureInfo.InvariantCulture)));
                    break;
                case "periodic":
                    a.Ctx.Timers.StartPeriodicTimer(parts[1], parts[2], TimeSpan.FromMilliseconds(int.Parse(parts[3], System.Globalization.CultureInfo.InvariantCulture)));
                    break;
                case "cancel":
                    a.Ctx.Timers.Cancel(parts[1]);
                    break;
                case "cancelall":
                    a.Ctx.Timers.CancelAll();
                    break;
                case "active":
                    probe.Ref.Tell($"active:{a.Ctx.Timers.IsActive(parts[1])}");
                    break;
                case "boom":
                    throw new TestFailure(m);
                case "stop":
                    a.Ctx.Stop(a.Ctx.Self);
                    break;
                case "block":
                    await gate!.Task;
                    a.Ctx.Timers.StartSingleTimer("k", "t2", TimeSpan.FromSeconds(1));
                    probe.Ref.Tell("rearmed");
                    break;
                default:
                    probe.Ref.Tell(m);
                    break;
            }
        },
    }.Factory();

    private static async Task<(ActorSystem System, ManualTimeProvider Time, TestProbe<string> Probe, ActorRef<string> Actor)> Setup(
        TaskCompletionSource? gate = null)
    {
        var time = new ManualTimeProvider();
        var system = Kit.System(time, Kit.RestartAtOnce);
        var probe = system.CreateTestProbe<string>();
        var actor = system.Spawn(TimerActor(probe, gate), "timed");
        await probe.ExpectMessageAsync(m => m == "start:1");
        return (system, time, probe, actor);
    }

    [Fact]
    public async Task A_single_timer_fires_once_after_its_delay()
    {
        var (system, time, probe, actor) = await Setup();
        await using var _ = system;
        actor.Tell("single:k:tick:1000");
        await Kit.TimersArmed(time, 1);

        time.Advance(TimeSpan.FromMilliseconds(999));
        probe.ExpectNoMessage(TimeSpan.FromMilliseconds(30));
        time.Advance(TimeSpan.FromMilliseconds(1));
        probe.ExpectMessage(m => m == "tick");
        time.Advance(TimeSpan.FromSeconds(10));
        actor.Tell("active:k");
        probe.ExpectMessage(m => m == "active:False");
    }

    [Fact]
    public async Task A_periodic_timer_fires_every_interval()
    {
        var (system, time, probe, actor) = await Setup();
        await using var _ = system;
        actor.Tell("periodic:p:tick:100");
        await Kit.TimersArmed(time, 1);

        time.Advance(TimeSpan.FromMilliseconds(350));

        probe.ExpectMessage(m => m == "tick");
        probe.ExpectMessage(m => m == "tick");
        probe.ExpectMessage(m => m == "tick");
        probe.ExpectNoMessage(TimeSpan.FromMilliseconds(30));
        actor.Tell("active:p");
        probe.ExpectMessage(m => m == "active:True");
    }

    [Fact]
    public async Task A_cancelled_timer_does_not_fire()
    {
        var (system, time, probe, actor) = await Setup();
        await using var _ = system;
        actor.Tell("periodic:p:tick:100");
        actor.Tell("single:s:once:100");
        await Kit.TimersArmed(time, 2);
        actor.Tell("cancel:p");
        actor.Tell("cancel:s");
        await Kit.TimersArmed(time, 0);

        time.Advance(TimeSpan.FromSeconds(1));

        probe.ExpectNoMessage(TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public async Task Starting_a_key_again_replaces_its_timer()
    {
        var (system, time, probe, actor) = await Setup();
        await using var _ = system;
        actor.Tell("single:k:first:1000");
        await Kit.TimersArmed(time, 1);
        time.Advance(TimeSpan.FromMilliseconds(500));
        actor.Tell("single:k:second:1000");
        actor.Tell("active:k");
        probe.ExpectMessage(m => m == "active:True");

        time.Advance(TimeSpan.FromMilliseconds(500));
        probe.ExpectNoMessage(TimeSpan.FromMilliseconds(30));
        time.Advance(TimeSpan.FromMilliseconds(500));
        probe.ExpectMessage(m => m == "second");
        probe.ExpectNoMessage(TimeSpan.FromMilliseconds(30));
    }

    [Fact]
    public async Task A_tick_already_queued_from_a_replaced_timer_is_not_delivered()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (system, time, probe, actor) = await Setup(gate);
        await using var _ = system;
        actor.Tell("single:k:t1:1000");
        actor.Tell("block");
        await Kit.TimersArmed(time, 1);

        time.Advance(TimeSpan.FromSeconds(1)); // t1 is now queued behind "block"
        gate.SetResult();
        probe.ExpectMessage(m => m == "rearmed");
        probe.ExpectNoMessage(TimeSpan.FromMilliseconds(50));

        await Kit.TimersArmed(time, 1);
        time.Advance(TimeSpan.FromSeconds(1));
        probe.ExpectMessage(m => m == "t2");
    }

    [Fact]
    public async Task Timers_are_cancelled_on_restart()
    {
        var (system, time, probe, actor) = await Setup();
        await using var _ = system;
        actor.Tell("periodic:p:tick:100");
        await Kit.TimersArmed(time, 1);

        actor.Tell("boom");
        probe.ExpectMessage(m => m == "start:2");
        Assert.Equal(0, time.ActiveTimerCount);
        time.Advance(TimeSpan.FromSeconds(1));
        probe.ExpectNoMessage(TimeSpan.FromMilliseconds(50));
        actor.Tell("active:p");
        probe.ExpectMessage(m => m == "active:False");
    }

    [Fact]
    public async Task Timers_are_cancelled_on_stop()
    {
        var (system, time, probe, actor) = await Setup();
        await using var _ = system;
        actor.Tell("periodic:p:tick:100");
        await Kit.TimersArmed(time, 1);

        actor.Tell("stop");
        await Kit.Terminated(actor);

        Assert.Equal(0, time.ActiveTimerCount);
    }

    [Fact]
    public async Task Timers_run_on_the_real_clock_by_default()
    {
        await using var system = Kit.System();
        var probe = system.CreateTestProbe<string>();
        var actor = system.Spawn(TimerActor(probe), "timed");
        probe.ExpectMessage(m => m == "start:1");

        actor.Tell("single:k:real:20");

        probe.ExpectMessage(m => m == "real");
    }
}
