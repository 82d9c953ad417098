using Corrosion.Actors.TestKit;

namespace Corrosion.Actors.Tests;

public sealed class DeathWatchTests
{
    private abstract record Cmd;

    private sealed record WatchIt(IActorRef Target) : Cmd;

    private sealed record UnwatchIt(IActorRef Target) : Cmd;

    private sealed record Say(string Text) : Cmd;

    /// <summary>Watches on command and reports each Terminated as "terminated:path:cause".</summary>
    private static Func<Actor<Cmd>> Watcher(TestProbe<string> probe) => new Script<Cmd>
    {
        Receive = (a, m) =>
        {
            switch (m)
            {
                case WatchIt w:
                    a.Ctx.Watch(w.Target);
                    break;
                case UnwatchIt u:
                    a.Ctx.Unwatch(u.Target);
                    break;
                case Say s:
                    probe.Ref.Tell(s.Text);
                    break;
            }

            return ValueTask.CompletedTask;
        },
        Signal = (_, s) =>
        {
            if (s is Terminated t)
            {
                probe.Ref.Tell($"terminated:{t.Ref.Path}:{t.Cause?.Message ?? "none"}");
            }

            return ValueTask.CompletedTask;
        },
    }.Factory();

    private static Func<Actor<string>> Target() => new Script<string>
    {
        Receive = (a, m) =>
        {
            if (m == "stop")
            {
                a.Ctx.Stop(a.Ctx.Self);
            }
            else if (m == "boom")
            {
                throw new TestFailure("fatal");
            }

            return ValueTask.CompletedTask;
        },
    }.Factory();

    [Fact]
    public async Task A_watcher_gets_Terminated_when_the_watched_actor_stops()
    {
        await using var system = Kit.System();
        var probe = system.CreateTestProbe<string>();
        var watcher = system.Spawn(Watcher(probe), "watcher");
        var target = system.Spawn(Target(), "target");
        watcher.Tell(new WatchIt(target));
        watcher.Tell(new Say("watching"));
        probe.ExpectMessage(m => m == "watching");

        target.Tell("stop");

        probe.ExpectMessage(m => m == $"terminated:{target.Path}:none");
    }

    [Fact]
    public async Task Watching_an_actor_that_is_already_dead_delivers_Terminated_at_once()
    {
        await using var system = Kit.System();
        var probe = system.CreateTestProbe<string>();
        var target = system.Spawn(Target(), "target");
        target.Tell("stop");
        await Kit.Terminated(target);
        var watcher = system.Spawn(Watcher(probe), "watcher");

        watcher.Tell(new WatchIt(target));

        probe.ExpectMessage(m => m == $"terminated:{target.Path}:none");
    }

    [Fact]
    public async Task Terminated_carries_the_failure_when_a_supervisor_stopped_the_actor()
    {
        await using var system = Kit.System(guardian: SupervisorStrategy.StoppingStrategy);
        var probe = system.CreateTestProbe<string>();
        var watcher = system.Spawn(Watcher(probe), "watcher");
        var target = system.Spawn(Target(), "target");
        watcher.Tell(new WatchIt(target));
        watcher.Tell(new Say("watching"));
        probe.ExpectMessage(m => m == "watching");

        target.Tell("boom");

        probe.ExpectMessage(m => m == $"terminated:{target.Path}:fatal");
    }

    [Fact]
    public async Task After_Unwatch_no_Terminated_is_delivered()
    {
        await using var system = Kit.System();
        var probe = system.CreateTestProbe<string>();
        var watcher = system.Spawn(Watcher(probe), "watcher");
        var target = system.Spawn(Target(), "target");
        watcher.Tell(new WatchIt(target));
        watcher.Tell(new UnwatchIt(target));
        watcher.Tell(new Say("unwatched"));
        probe.ExpectMessage(m => m == "unwatched");

        target.Tell("stop");
        await Kit.Terminated(target);

        probe.ExpectNoMessage(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task A_parent_watching_its_child_sees_it_stop()
    {
        await using var system = Kit.System();
        var probe = system.CreateTestProbe<string>();
        var parent = system.Spawn(
            new Script<string>
            {
                PreStart = a =>
                {
                    var child = a.Ctx.Spawn(Target(), "child");
                    a.Ctx.Watch(child);
                    a.Stash = child;
                    return ValueTask.CompletedTask;
                },
                Receive = (a, m) => { a.Ctx.Stop((IActorRef)a.Stash!); return ValueTask.CompletedTask; },
                Signal = (a, s) =>
                {
                    probe.Ref.Tell($"{((Terminated)s).Ref.Path}|children:{a.Ctx.Children.Count}");
                    return ValueTask.CompletedTask;
                },
            }.Factory(),
            "parent");

        parent.Tell("stop-child");

        probe.ExpectMessage(m => m == $"{parent.Path}/child|children:0");
    }
}
