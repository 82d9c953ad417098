using Corrosion.Actors.TestKit;

namespace Corrosion.Actors.Tests;

public sealed class MailboxTests
{
    private abstract record Msg;

    private sealed record Item(int Sender, int Seq) : Msg;

    private sealed record GetAll(ActorRef<IReadOnlyList<Item>> ReplyTo) : Msg;

    [Fact]
    public async Task Messages_from_each_of_many_concurrent_senders_arrive_in_send_order()
    {
        await using var system = Kit.System();
        var seen = new List<Item>();
        var actor = system.Spawn(
            new Script<Msg>
            {
                Receive = (_, m) =>
                {
                    switch (m)
                    {
                        case Item item:
                            seen.Add(item);
                            break;
                        case GetAll get:
                            get.ReplyTo.Tell(seen.ToArray());
                            break;
                    }

                    return ValueTask.CompletedTask;
                },
            }.Factory(),
            "sink",
            new MailboxOptions(64, MailboxFullMode.Wait));

        const int senders = 8;
        const int perSender = 2000;
        var threads = Enumerable.Range(0, senders).Select(s => new Thread(() =>
        {
            for (var i = 0; i < perSender; i++)
            {
                actor.Tell(new Item(s, i));
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        var all = await actor.Ask<IReadOnlyList<Item>>(r => new GetAll(r), Kit.Deadline);

        Assert.Equal(senders * perSender, all.Count);
        foreach (var group in all.GroupBy(i => i.Sender))
        {
            Assert.Equal(Enumerable.Range(0, perSender), group.Select(i => i.Seq));
        }

        // Interleaving happened, otherwise the test proves nothing about concurrency.
        Assert.Contains(all.Zip(all.Skip(1)), p => p.First.Sender != p.Second.Sender);
    }

    /// <summary>An actor that reports each message and blocks on "block" until the gate opens.</summary>
    private static (ActorRef<string> Actor, TestProbe<string> Probe, TaskCompletionSource Gate) Blocking(
        ActorSystem system, MailboxOptions mailbox)
    {
        var probe = system.CreateTestProbe<string>();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var actor = system.Spawn(
            new Script<string>
            {
                Receive = async (_, m) =>
                {
                    probe.Ref.Tell(m);
                    if (m == "block")
                    {
                        await gate.Task;
                    }
                },
            }.Factory(),
            "blocking",
            mailbox);
        return (actor, probe, gate);
    }

    [Fact]
    public async Task Wait_mode_makes_TellAsync_wait_until_the_mailbox_drains()
    {
        await using var system = Kit.System();
        var (actor, probe, gate) = Blocking(system, new MailboxOptions(2, MailboxFullMode.Wait));
        actor.Tell("block");
        probe.ExpectMessage(m => m == "block");

        await actor.TellAsync("m1");
        await actor.TellAsync("m2");
        var third = actor.TellAsync("m3").AsTask();

        Assert.False(third.IsCompleted);
        Assert.False(actor.TryTell("rejected"));
        await Task.Delay(50);
        Assert.False(third.IsCompleted);

        gate.SetResult();
        await third.WaitAsync(Kit.Deadline);
        Assert.Equal(["m1", "m2", "m3"], new[] { probe.ReceiveMessage(), probe.ReceiveMessage(), probe.ReceiveMessage() });
        probe.ExpectNoMessage(TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public async Task Wait_mode_Tell_blocks_the_caller_while_the_mailbox_is_full()
    {
        await using var system = Kit.System();
        var (actor, probe, gate) = Blocking(system, new MailboxOptions(1, MailboxFullMode.Wait));
        actor.Tell("block");
        probe.ExpectMessage(m => m == "block");
        actor.Tell("m1");

        var blocked = Task.Factory.StartNew(() => actor.Tell("m2"), TaskCreationOptions.LongRunning);
        await Task.WhenAny(blocked, Task.Delay(100));
        Assert.False(blocked.IsCompleted);

        gate.SetResult();
        await blocked.WaitAsync(Kit.Deadline);
        probe.ExpectMessage(m => m == "m1");
        probe.ExpectMessage(m => m == "m2");
    }

    [Fact]
    public async Task DropOldest_drops_the_oldest_queued_message_and_counts_it()
    {
        await using var system = Kit.System();
        var (actor, probe, gate) = Blocking(system, new MailboxOptions(2, MailboxFullMode.DropOldest));
        actor.Tell("block");
        probe.ExpectMessage(m => m == "block");

        actor.Tell("m1");
        actor.Tell("m2");
        Assert.True(actor.TryTell("m3"));
        gate.SetResult();

        Assert.Equal("m2", probe.ReceiveMessage());
        Assert.Equal("m3", probe.ReceiveMessage());
        probe.ExpectNoMessage(TimeSpan.FromMilliseconds(50));
        Assert.Equal(1, system.DroppedMessageCount);
    }

    [Fact]
    public async Task DropNewest_drops_the_incoming_message_and_counts_it()
    {
        await using var system = Kit.System();
        var (actor, probe, gate) = Blocking(system, new MailboxOptions(2, MailboxFullMode.DropNewest));
        actor.Tell("block");
        probe.ExpectMessage(m => m == "block");

        actor.Tell("m1");
        actor.Tell("m2");
        actor.Tell("m3");
        Assert.False(actor.TryTell("m4"));
        await actor.TellAsync("m5");
        gate.SetResult();

        Assert.Equal("m1", probe.ReceiveMessage());
        Assert.Equal("m2", probe.ReceiveMessage());
        probe.ExpectNoMessage(TimeSpan.FromMilliseconds(50));
        Assert.Equal(3, system.DroppedMessageCount);
    }

    [Fact]
    public async Task Messages_to_a_stopped_actor_are_dead_letters_and_TryTell_returns_false()
    {
        await using var system = Kit.System();
        var actor = system.Spawn(
            new Script<string> { Receive = (a, _) => { a.Ctx.Stop(a.Ctx.Self); return ValueTask.CompletedTask; } }.Factory(),
            "short-lived");
        actor.Tell("stop");
        await Kit.Terminated(actor);

        Assert.False(actor.TryTell("late"));
        actor.Tell("late");
        await actor.TellAsync("late");
        Assert.Equal(3, system.DeadLetterCount);
    }

    [Fact]
    public async Task Handlers_run_one_at_a_time_and_async_handlers_are_awaited()
    {
        await using var system = Kit.System();
        var running = 0;
        var maxRunning = 0;
        var probe = system.CreateTestProbe<int>();
        var actor = system.Spawn(
            new Script<int>
            {
                Receive = async (_, m) =>
                {
                    var now = Interlocked.Increment(ref running);
                    InterlockedMax(ref maxRunning, now);
                    await Task.Yield();
                    await Task.Delay(1);
                    Interlocked.Decrement(ref running);
                    probe.Ref.Tell(m);
                },
            }.Factory(),
            "async");

        var senders = Enumerable.Range(0, 4).Select(s => Task.Run(() =>
        {
            for (var i = 0; i < 25; i++)
            {
                actor.Tell((s * 100) + i);
            }
        }));
        await Task.WhenAll(senders);
        for (var i = 0; i < 100; i++)
        {
            probe.ReceiveMessage();
        }

        Assert.Equal(1, maxRunning);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value &&
               Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
