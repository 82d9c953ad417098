using Corrosion.Actors.TestKit;

namespace Corrosion.Actors.Tests;

public sealed class AskTests
{
    private abstract record Req;

    private sealed record Echo(string Text, ActorRef<string> ReplyTo) : Req;

    private sealed record Hold(ActorRef<string> ReplyTo) : Req;

    private sealed record ReleaseHeld(string Text) : Req;

    private sealed record StopNow : Req;

    private static Func<Actor<Req>> Responder() => new Script<Req>
    {
        Receive = (a, m) =>
        {
            switch (m)
            {
                case Echo e:
                    e.ReplyTo.Tell(e.Text);
                    break;
                case Hold h:
                    a.Stash = h.ReplyTo;
                    break;
                case ReleaseHeld r:
                    ((ActorRef<string>)a.Stash!).Tell(r.Text);
                    break;
                case StopNow:
                    a.Ctx.Stop(a.Ctx.Self);
                    break;
            }

            return ValueTask.CompletedTask;
        },
    }.Factory();

    [Fact]
    public async Task Ask_returns_the_reply()
    {
        await using var system = Kit.System();
        var actor = system.Spawn(Responder(), "responder");

        var reply = await actor.Ask<string>(r => new Echo("hello", r), Kit.Deadline);

        Assert.Equal("hello", reply);
    }

    [Fact]
    public async Task Ask_times_out_on_the_system_clock_naming_the_target_and_the_timeout()
    {
        var time = new ManualTimeProvider();
        await using var system = Kit.System(time);
        var actor = system.Spawn(Responder(), "responder");

        var pending = actor.Ask<string>(r => new Hold(r), TimeSpan.FromMilliseconds(500));
        await Kit.TimersArmed(time, 1);
        time.Advance(TimeSpan.FromMilliseconds(499));
        Assert.False(pending.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));

        var error = await Assert.ThrowsAsync<AskTimeoutException>(() => pending.WaitAsync(Kit.Deadline));
        Assert.Contains(actor.Path, error.Message, StringComparison.Ordinal);
        Assert.Contains("500 ms", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reply_after_the_timeout_is_dropped_and_counted_as_a_dead_letter()
    {
        var time = new ManualTimeProvider();
        await using var system = Kit.System(time);
        var actor = system.Spawn(Responder(), "responder");
        var pending = actor.Ask<string>(r => new Hold(r), TimeSpan.FromSeconds(1));
        await Kit.TimersArmed(time, 1);
        time.Advance(TimeSpan.FromSeconds(1));
        await Assert.ThrowsAsync<AskTimeoutException>(() => pending.WaitAsync(Kit.Deadline));
        Assert.Equal(0, system.DeadLetterCount);

        actor.Tell(new ReleaseHeld("too late"));

        await Kit.Eventually(() => system.DeadLetterCount == 1, "the late reply counted");
    }

    [Fact]
    public async Task Asking_a_stopped_actor_fails_fast()
    {
        await using var system = Kit.System();
        var actor = system.Spawn(Responder(), "responder");
        actor.Tell(new StopNow());
        await Kit.Terminated(actor);

        await Assert.ThrowsAsync<ActorStoppedException>(
            () => actor.Ask<string>(r => new Echo("x", r), TimeSpan.FromHours(1)).WaitAsync(Kit.Deadline));
    }

    [Fact]
    public async Task An_ask_pending_when_the_target_stops_fails_with_ActorStoppedException()
    {
        await using var system = Kit.System();
        var actor = system.Spawn(Responder(), "responder");
        var pending = actor.Ask<string>(r => new Hold(r), TimeSpan.FromHours(1));

        actor.Tell(new StopNow());

        await Assert.ThrowsAsync<ActorStoppedException>(() => pending.WaitAsync(Kit.Deadline));
    }

    [Fact]
    public async Task Cancelling_an_ask_cancels_the_task()
    {
        await using var system = Kit.System();
        var actor = system.Spawn(Responder(), "responder");
        using var cts = new CancellationTokenSource();
        var pending = actor.Ask<string>(r => new Hold(r), TimeSpan.FromHours(1), cts.Token);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.WaitAsync(Kit.Deadline));
    }
}
