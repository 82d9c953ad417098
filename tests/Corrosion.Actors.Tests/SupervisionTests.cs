using FsCheck;
using FsCheck.Fluent;
using Corrosion.Actors.TestKit;
using Microsoft.Extensions.Logging;

namespace Corrosion.Actors.Tests;

public sealed class SupervisionTests
{
    /// <summary>Reports lifecycle and messages as "event:incarnation[:message]"; fails on "boom"; blocks on "block".</summary>
    private static Script<string> Reporting(TestProbe<string> probe, TaskCompletionSource? gate = null) => new()
    {
        PreStart = a => { probe.Ref.Tell($"start:{a.Incarnation}"); return ValueTask.CompletedTask; },
        PostStop = a => { probe.Ref.Tell($"stop:{a.Incarnation}"); return ValueTask.CompletedTask; },
        PreRestart = (a, e) => { probe.Ref.Tell($"prerestart:{a.Incarnation}:{e.Message}"); return ValueTask.CompletedTask; },
        Receive = async (a, m) =>
        {
            a.Counter++;
            probe.Ref.Tell($"msg:{a.Incarnation}:{m}:{a.Counter}");
            if (m == "block" && gate is not null)
            {
                await gate.Task;
            }

            if (m.StartsWith("boom", StringComparison.Ordinal))
            {
                throw new TestFailure(m);
            }
        },
    };

    [Fact]
    public async Task Restart_creates_a_fresh_instance_drops_the_failing_message_and_keeps_the_mailbox()
    {
        await using var system = Kit.System(guardian: Kit.RestartAtOnce);
        var probe = system.CreateTestProbe<string>();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var actor = system.Spawn(Reporting(probe, gate).Factory(), "worker");
        probe.ExpectMessage(m => m == "start:1");

        actor.Tell("block");
        probe.ExpectMessage(m => m == "msg:1:block:1");
        actor.Tell("boom");
        actor.Tell("b");
        actor.Tell("c");
        gate.SetResult();

        probe.ExpectMessage(m => m == "msg:1:boom:2");
        probe.ExpectMessage(m => m == "prerestart:1:boom");
        probe.ExpectMessage(m => m == "start:2");
        probe.ExpectMessage(m => m == "msg:2:b:1");
        probe.ExpectMessage(m => m == "msg:2:c:2");
        probe.ExpectNoMessage(TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public async Task Resume_keeps_the_instance_and_its_state()
    {
        await using var system = Kit.System(guardian: SupervisorStrategy.OneForOne(_ => Directive.Resume));
        var probe = system.CreateTestProbe<string>();
        var actor = system.Spawn(Reporting(probe).Factory(), "worker");
        probe.ExpectMessage(m => m == "start:1");

        actor.Tell("a");
        actor.Tell("boom");
        actor.Tell("b");

        probe.ExpectMessage(m => m == "msg:1:a:1");
        probe.ExpectMessage(m => m == "msg:1:boom:2");
        probe.ExpectMessage(m => m == "msg:1:b:3");
        probe.ExpectNoMessage(TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public async Task Stop_directive_stops_the_child_and_runs_PostStop()
    {
        await using var system = Kit.System(guardian: SupervisorStrategy.StoppingStrategy);
        var probe = system.CreateTestProbe<string>();
        var actor = system.Spawn(Reporting(probe).Factory(), "worker");
        probe.ExpectMessage(m => m == "start:1");

        actor.Tell("boom");
        probe.ExpectMessage(m => m == "msg:1:boom:1");
        probe.ExpectMessage(m => m == "stop:1");
        await Kit.Terminated(actor);
        Assert.False(actor.TryTell("after"));
    }

    [Fact]
    public async Task Restart_waits_for_an_exponential_capped_backoff_on_virtual_time()
    {
        var time = new ManualTimeProvider();
        var strategy = SupervisorStrategy.OneForOne(
            minBackoff: TimeSpan.FromSeconds(1), maxBackoff: TimeSpan.FromSeconds(4), jitter: 0, maxRestarts: 100, window: TimeSpan.FromHours(1));
        await using var system = Kit.System(time, strategy);
        var probe = system.CreateTestProbe<string>();
        var actor = system.Spawn(Reporting(probe).Factory(), "worker");
        probe.ExpectMessage(m => m == "start:1");

        var expected = new[] { 1, 2, 4, 4 };
        for (var i = 0; i < expected.Length; i++)
        {
            actor.Tell("boom");
            probe.ExpectMessage(m => m.StartsWith("msg:", StringComparison.Ordinal));
            await Kit.TimersArmed(time, 1);

            time.Advance(TimeSpan.FromSeconds(expected[i]) - TimeSpan.FromMilliseconds(1));
            Assert.Equal(1, time.ActiveTimerCount);
            probe.ExpectNoMessage(TimeSpan.FromMilliseconds(30));

            time.Advance(TimeSpan.FromMilliseconds(1));
            probe.ExpectMessage(m => m == $"prerestart:{i + 1}:boom");
            probe.ExpectMessage(m => m == $"start:{i + 2}");
        }
    }

    [Fact]
    public async Task Messages_wait_in_the_mailbox_during_backoff_and_go_to_the_new_instance()
    {
        var time = new ManualTimeProvider();
        var strategy = SupervisorStrategy.OneForOne(minBackoff: TimeSpan.FromSeconds(1), jitter: 0);
        await using var system = Kit.System(time, strategy);
        var probe = system.CreateTestProbe<string>();
        var actor = system.Spawn(Reporting(probe).Factory(), "worker");
        probe.ExpectMessage(m => m == "start:1");

        actor.Tell("boom");
        actor.Tell("after");
        probe.ExpectMessage(m => m == "msg:1:boom:1");
        await Kit.TimersArmed(time, 1);
        probe.ExpectNoMessage(TimeSpan.FromMilliseconds(30));

        time.Advance(TimeSpan.FromSeconds(1));
        probe.ExpectMessage(m => m == "prerestart:1:boom");
        probe.ExpectMessage(m => m == "start:2");
        probe.ExpectMessage(m => m == "msg:2:after:1");
    }

    [Fact]
    public async Task Exceeding_max_restarts_within_the_window_escalates_and_the_window_slides()
    {
        var time = new ManualTimeProvider();
        await using var side = Kit.System();
        var escalations = side.CreateTestProbe<string>();
        var parentStrategy = SupervisorStrategy.OneForOne(minBackoff: TimeSpan.Zero, maxRestarts: 2, window: TimeSpan.FromMinutes(1));
        var guardian = SupervisorStrategy.OneForOne(e => { escalations.Ref.Tell(e.Message); return Directive.Resume; });
        await using var system = Kit.System(time, guardian);
        var probe = system.CreateTestProbe<string>();
        var childScript = Reporting(probe);
        var parent = system.Spawn(
            new Script<string>
            {
                Strategy = parentStrategy,
                PreStart = a => { a.Stash = a.Ctx.Spawn(childScript.Factory(), "child"); return ValueTask.CompletedTask; },
                Receive = (a, m) => { ((ActorRef<string>)a.Stash!).Tell(m); return ValueTask.CompletedTask; },
            }.Factory(),
            "parent");
        probe.ExpectMessage(m => m == "start:1");

        parent.Tell("boom1");
        probe.FishForMessage(m => m == "start:2", Kit.Deadline);
        parent.Tell("boom2");
        probe.FishForMessage(m => m == "start:3", Kit.Deadline);
        parent.Tell("boom3");
        Assert.Equal("boom3", escalations.ReceiveMessage());
        probe.ExpectMessage(m => m == "msg:3:boom3:1");
        probe.ExpectNoMessage(TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public async Task Restarts_older_than_the_window_do_not_count()
    {
        var time = new ManualTimeProvider();
        await using var side = Kit.System();
        var escalations = side.CreateTestProbe<string>();
        var guardian = SupervisorStrategy.OneForOne(
            e => { escalations.Ref.Tell(e.Message); return Directive.Restart; },
            minBackoff: TimeSpan.Zero,
            maxRestarts: 1,
            window: TimeSpan.FromMinutes(1));
        await using var system = Kit.System(time, guardian);
        var probe = system.CreateTestProbe<string>();
        var actor = system.Spawn(Reporting(probe).Factory(), "worker");
        probe.ExpectMessage(m => m == "start:1");

        actor.Tell("boom1");
        probe.FishForMessage(m => m == "start:2", Kit.Deadline);
        time.Advance(TimeSpan.FromMinutes(1));
        actor.Tell("boom2");
        probe.FishForMessage(m => m == "start:3", Kit.Deadline);
        Assert.False(system.WhenTerminated.IsCompleted);
    }

    [Fact]
    public async Task Escalation_to_the_root_stops_the_system_and_reports_the_cause()
    {
        var logs = new ListLoggerFactory();
        await using var system = Kit.System(guardian: SupervisorStrategy.OneForOne(_ => Directive.Escalate), logging: logs);
        var probe = system.CreateTestProbe<string>();
        var actor = system.Spawn(Reporting(probe).Factory(), "worker");
        probe.ExpectMessage(m => m == "start:1");

        actor.Tell("boom-fatal");

        await system.WhenTerminated.WaitAsync(Kit.Deadline);
        var cause = Assert.IsType<TestFailure>(system.TerminationCause);
        Assert.Equal("boom-fatal", cause.Message);
        probe.FishForMessage(m => m == "stop:1", Kit.Deadline);
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Critical && e.Id.Id == 1006);
    }

    [Fact]
    public async Task Default_guardian_escalates_after_repeated_failures_and_stops_the_system()
    {
        var time = new ManualTimeProvider();
        await using var system = Kit.System(time);
        var probe = system.CreateTestProbe<string>();
        var actor = system.Spawn(Reporting(probe).Factory(), "worker");
        probe.ExpectMessage(m => m == "start:1");

        for (var i = 0; i < SupervisorStrategy.DefaultMaxRestarts; i++)
        {
            actor.Tell("boom");
            probe.FishForMessage(m => m.StartsWith("msg:", StringComparison.Ordinal), Kit.Deadline);
            await Kit.TimersArmed(time, 1);
            // The largest delay this restart can have: min × 2^i plus full jitter, capped.
            var worst = Math.Min(SupervisorStrategy.DefaultMinBackoff.TotalMilliseconds * Math.Pow(2, i) * (1 + SupervisorStrategy.DefaultJitter), SupervisorStrategy.DefaultMaxBackoff.TotalMilliseconds);
            time.Advance(TimeSpan.FromMilliseconds(Math.Ceiling(worst)));
            probe.FishForMessage(m => m == $"start:{i + 2}", Kit.Deadline);
        }

        actor.Tell("boom-last");
        await system.WhenTerminated.WaitAsync(Kit.Deadline);
        Assert.Equal("boom-last", system.TerminationCause?.Message);
    }

    [Fact]
    public async Task All_for_one_restarts_the_failed_child_and_its_siblings()
    {
        await using var system = Kit.System();
        var probe = system.CreateTestProbe<string>();
        Script<string> Child(string name) => new()
        {
            PreStart = a => { probe.Ref.Tell($"start:{name}:{a.Incarnation}"); return ValueTask.CompletedTask; },
            Receive = (_, m) => m == "boom" ? throw new TestFailure(m) : ValueTask.CompletedTask,
        };
        var parent = system.Spawn(
            new Script<string>
            {
                Strategy = SupervisorStrategy.AllForOne(minBackoff: TimeSpan.Zero),
                PreStart = a =>
                {
                    a.Stash = a.Ctx.Spawn(Child("a").Factory(), "a");
                    a.Ctx.Spawn(Child("b").Factory(), "b");
                    return ValueTask.CompletedTask;
                },
                Receive = (a, m) => { ((ActorRef<string>)a.Stash!).Tell(m); return ValueTask.CompletedTask; },
            }.Factory(),
            "parent");
        var started = new HashSet<string> { probe.ReceiveMessage(), probe.ReceiveMessage() };
        Assert.Equal(["start:a:1", "start:b:1"], started.Order());

        parent.Tell("boom");
        var restarted = new HashSet<string> { probe.ReceiveMessage(), probe.ReceiveMessage() };
        Assert.Equal(["start:a:2", "start:b:2"], restarted.Order());
    }

    [Fact]
    public async Task All_for_one_stop_stops_the_failed_child_and_its_siblings()
    {
        await using var system = Kit.System();
        var probe = system.CreateTestProbe<string>();
        Script<string> Child(string name) => new()
        {
            PostStop = _ => { probe.Ref.Tell($"stop:{name}"); return ValueTask.CompletedTask; },
            Receive = (_, m) => m == "boom" ? throw new TestFailure(m) : ValueTask.CompletedTask,
        };
        var parent = system.Spawn(
            new Script<string>
            {
                Strategy = SupervisorStrategy.AllForOne(_ => Directive.Stop),
                PreStart = a =>
                {
                    a.Stash = a.Ctx.Spawn(Child("a").Factory(), "a");
                    a.Ctx.Spawn(Child("b").Factory(), "b");
                    return ValueTask.CompletedTask;
                },
                Receive = (a, m) =>
                {
                    if (m == "count")
                    {
                        probe.Ref.Tell($"children:{a.Ctx.Children.Count}");
                    }
                    else
                    {
                        ((ActorRef<string>)a.Stash!).Tell(m);
                    }

                    return ValueTask.CompletedTask;
                },
            }.Factory(),
            "parent");

        parent.Tell("boom");
        var stopped = new HashSet<string> { probe.ReceiveMessage(), probe.ReceiveMessage() };
        Assert.Equal(["stop:a", "stop:b"], stopped.Order());
        await Kit.Eventually(
            () =>
            {
                parent.Tell("count");
                return probe.ReceiveMessage() == "children:0";
            },
            "the parent has no children left");
    }

    [Fact]
    public async Task One_for_one_restarts_only_the_failed_child()
    {
        await using var system = Kit.System();
        var probe = system.CreateTestProbe<string>();
        Script<string> Child(string name) => new()
        {
            PreStart = a => { probe.Ref.Tell($"start:{name}:{a.Incarnation}"); return ValueTask.CompletedTask; },
            Receive = (_, m) => m == "boom" ? throw new TestFailure(m) : ValueTask.CompletedTask,
        };
        var parent = system.Spawn(
            new Script<string>
            {
                Strategy = SupervisorStrategy.OneForOne(minBackoff: TimeSpan.Zero),
                PreStart = a =>
                {
                    a.Stash = a.Ctx.Spawn(Child("a").Factory(), "a");
                    a.Ctx.Spawn(Child("b").Factory(), "b");
                    return ValueTask.CompletedTask;
                },
                Receive = (a, m) => { ((ActorRef<string>)a.Stash!).Tell(m); return ValueTask.CompletedTask; },
            }.Factory(),
            "parent");
        probe.ReceiveMessage();
        probe.ReceiveMessage();

        parent.Tell("boom");
        Assert.Equal("start:a:2", probe.ReceiveMessage());
        probe.ExpectNoMessage(TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public async Task Restarting_a_parent_stops_its_children_and_PreStart_spawns_them_again()
    {
        await using var system = Kit.System(guardian: Kit.RestartAtOnce);
        var probe = system.CreateTestProbe<string>();
        var child = new Script<string>
        {
            PreStart = a => { probe.Ref.Tell($"child-start:{a.Incarnation}"); return ValueTask.CompletedTask; },
            PostStop = a => { probe.Ref.Tell($"child-stop:{a.Incarnation}"); return ValueTask.CompletedTask; },
        };
        var parent = system.Spawn(
            new Script<string>
            {
                PreStart = a => { a.Ctx.Spawn(child.Factory(), "child"); return ValueTask.CompletedTask; },
                Receive = (_, m) => throw new TestFailure(m),
            }.Factory(),
            "parent");
        probe.ExpectMessage(m => m == "child-start:1");

        parent.Tell("boom");
        probe.ExpectMessage(m => m == "child-stop:1");
        probe.ExpectMessage(m => m == "child-start:1");
    }

    [Fact]
    public async Task A_failing_PreStart_is_supervised_like_a_failing_message()
    {
        await using var system = Kit.System(guardian: Kit.RestartAtOnce);
        var probe = system.CreateTestProbe<string>();
        system.Spawn(
            new Script<string>
            {
                PreStart = a =>
                {
                    probe.Ref.Tell($"start:{a.Incarnation}");
                    return a.Incarnation < 3 ? throw new TestFailure("not yet") : ValueTask.CompletedTask;
                },
            }.Factory(),
            "flaky");

        probe.ExpectMessage(m => m == "start:1");
        probe.ExpectMessage(m => m == "start:2");
        probe.ExpectMessage(m => m == "start:3");
    }

    [Fact]
    public void Backoff_never_exceeds_max_and_never_falls_below_the_exponential_base()
    {
        Prop.ForAll<int, int, int>((minMs, maxExtraMs, n) =>
        {
            var min = TimeSpan.FromMilliseconds(1 + Math.Abs(minMs % 5000));
            var max = min + TimeSpan.FromMilliseconds(Math.Abs(maxExtraMs % 60000));
            var restarts = Math.Abs(n % 80);
            var strategy = SupervisorStrategy.OneForOne(minBackoff: min, maxBackoff: max, jitter: 0.5);
            var delay = strategy.BackoffFor(restarts, new Random(n ^ minMs));
            var baseTicks = Math.Min(min.Ticks * Math.Pow(2, restarts), max.Ticks);
            return delay <= max && delay.Ticks >= (long)baseTicks - 1;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Backoff_jitter_is_reproducible_from_the_seed()
    {
        var strategy = SupervisorStrategy.OneForOne(minBackoff: TimeSpan.FromSeconds(1), jitter: 0.5);
        var first = Enumerable.Range(0, 5).Select(i => strategy.BackoffFor(i, new Random(7))).ToArray();
        var second = Enumerable.Range(0, 5).Select(i => strategy.BackoffFor(i, new Random(7))).ToArray();
        Assert.Equal(first, second);
        Assert.Contains(first, d => d.Ticks % TimeSpan.TicksPerSecond != 0);
    }
}
