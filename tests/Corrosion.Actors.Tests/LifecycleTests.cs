using Corrosion.Actors.TestKit;

namespace Corrosion.Actors.Tests;

public sealed class LifecycleTests
{
    private static Script<string> Reporting(TestProbe<string> probe, string name, Action<ScriptedActor<string>>? onStart = null) => new()
    {
        PreStart = a =>
        {
            probe.Ref.Tell($"start:{name}");
            onStart?.Invoke(a);
            return ValueTask.CompletedTask;
        },
        PostStop = _ => { probe.Ref.Tell($"stop:{name}"); return ValueTask.CompletedTask; },
        Receive = (a, m) =>
        {
            if (m == "stop")
            {
                a.Ctx.Stop(a.Ctx.Self);
            }
            else
            {
                probe.Ref.Tell($"msg:{name}:{m}");
            }

            return ValueTask.CompletedTask;
        },
    };

    [Fact]
    public async Task PreStart_runs_before_the_first_message()
    {
        await using var system = Kit.System();
        var probe = system.CreateTestProbe<string>();
        var actor = system.Spawn(Reporting(probe, "a").Factory(), "a");
        actor.Tell("hello");

        probe.ExpectMessage(m => m == "start:a");
        probe.ExpectMessage(m => m == "msg:a:hello");
    }

    [Fact]
    public async Task Stopping_a_parent_stops_its_children_first()
    {
        await using var system = Kit.System();
        var probe = system.CreateTestProbe<string>();
        var grandchild = Reporting(probe, "grandchild");
        var child = Reporting(probe, "child", a => a.Ctx.Spawn(grandchild.Factory(), "grandchild"));
        var parent = system.Spawn(Reporting(probe, "parent", a => a.Ctx.Spawn(child.Factory(), "child")).Factory(), "parent");
        probe.FishForMessage(m => m == "start:grandchild", Kit.Deadline);

        parent.Tell("stop");

        probe.ExpectMessage(m => m == "stop:grandchild");
        probe.ExpectMessage(m => m == "stop:child");
        probe.ExpectMessage(m => m == "stop:parent");
    }

    [Fact]
    public async Task TerminateAsync_stops_every_actor_and_completes_WhenTerminated_without_a_cause()
    {
        var system = Kit.System();
        var probe = system.CreateTestProbe<string>();
        system.Spawn(Reporting(probe, "a").Factory(), "a");
        system.Spawn(Reporting(probe, "b", x => x.Ctx.Spawn(Reporting(probe, "b1").Factory(), "b1")).Factory(), "b");
        var starts = new[] { probe.ReceiveMessage(), probe.ReceiveMessage(), probe.ReceiveMessage() };
        Assert.Equal(["start:a", "start:b", "start:b1"], starts.Order());

        await system.TerminateAsync().WaitAsync(Kit.Deadline);

        Assert.True(system.WhenTerminated.IsCompletedSuccessfully);
        Assert.Null(system.TerminationCause);
        var stops = new[] { probe.ReceiveMessage(), probe.ReceiveMessage(), probe.ReceiveMessage() };
        Assert.Equal(["stop:a", "stop:b", "stop:b1"], stops.Order());
        Assert.True(Array.IndexOf(stops, "stop:b1") < Array.IndexOf(stops, "stop:b"));
        Assert.Throws<InvalidOperationException>(() => system.Spawn(Reporting(probe, "late").Factory(), "late"));
    }

    [Fact]
    public async Task Child_names_are_unique_among_live_children_and_reusable_after_stop()
    {
        await using var system = Kit.System();
        var probe = system.CreateTestProbe<string>();
        var first = system.Spawn(Reporting(probe, "a").Factory(), "a");

        Assert.Throws<ArgumentException>(() => system.Spawn(Reporting(probe, "a").Factory(), "a"));
        Assert.Throws<ArgumentException>(() => system.Spawn(Reporting(probe, "x").Factory(), "bad/name"));

        first.Tell("stop");
        await Kit.Terminated(first);
        var second = system.Spawn(Reporting(probe, "a2").Factory(), "a");
        Assert.Equal(first.Path, second.Path);
    }

    [Fact]
    public async Task Paths_nest_under_the_user_guardian()
    {
        await using var system = Kit.System();
        var probe = system.CreateTestProbe<string>();
        var child = new TaskCompletionSource<IActorRef>();
        var parent = system.Spawn(
            Reporting(probe, "p", a => child.SetResult(a.Ctx.Spawn(Reporting(probe, "c").Factory(), "c"))).Factory(), "p");

        Assert.Equal($"corrosion://{system.Name}/user/p", parent.Path);
        Assert.Equal($"corrosion://{system.Name}/user/p/c", (await child.Task.WaitAsync(Kit.Deadline)).Path);
    }

    [Fact]
    public async Task PostStop_and_PreRestart_failures_are_logged_not_fatal()
    {
        var logs = new ListLoggerFactory();
        await using var system = Kit.System(guardian: Kit.RestartAtOnce, logging: logs);
        var probe = system.CreateTestProbe<string>();
        var actor = system.Spawn(
            new Script<string>
            {
                PreStart = a => { probe.Ref.Tell($"start:{a.Incarnation}"); return ValueTask.CompletedTask; },
                PreRestart = (_, _) => throw new TestFailure("prerestart"),
                PostStop = _ => throw new TestFailure("poststop"),
                Receive = (a, m) => m == "stop" ? Stop(a) : throw new TestFailure(m),
            }.Factory(),
            "fragile");
        probe.ExpectMessage(m => m == "start:1");

        actor.Tell("boom");
        probe.ExpectMessage(m => m == "start:2");
        actor.Tell("stop");
        await Kit.Terminated(actor);

        Assert.Equal(2, logs.Entries.Count(e => e.Id.Id == 1007));

        static ValueTask Stop(ScriptedActor<string> a)
        {
            a.Ctx.Stop(a.Ctx.Self);
            return ValueTask.CompletedTask;
        }
    }

    [Fact]
    public async Task The_system_can_stop_an_actor_from_outside_and_await_its_termination()
    {
        await using var system = Kit.System();
        var probe = system.CreateTestProbe<string>();
        var actor = system.Spawn(Reporting(probe, "a").Factory(), "a");
        probe.ExpectMessage(m => m == "start:a");

        system.Stop(actor);
        await system.WhenStopped(actor).WaitAsync(Kit.Deadline);

        probe.ExpectMessage(m => m == "stop:a");
        Assert.False(actor.TryTell("late"));
    }
}
