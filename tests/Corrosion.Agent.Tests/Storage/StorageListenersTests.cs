using Akka.Actor;
using Akka.TestKit;
using Corrosion.Agent.Actors;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Tests.Support;

namespace Corrosion.Agent.Tests.Storage;

public sealed class StorageListenersTests : NodeTestKit
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly StoreBuilder _stores = new();

    [Fact]
    public async Task Listeners_outlive_the_writer_they_subscribed_to()
    {
        var store = _stores.Build();
        var listeners = new StorageListeners();
        var probe = CreateTestProbe();
        var first = Sys.ActorOf(StorageActor.Props(store, listeners), "storage-1").Typed<StorageCommand>();
        first.Tell(new SubscribeStorageEvents(probe.Ref.Typed<StorageEvent>()));
        await ExecuteAsync(first, 1);
        Assert.Equal(1, probe.ExpectMsg<ChangesCommitted>(Timeout).Sequence);

        // A new incarnation over the same listeners (as the supervisor restarts the writer) still publishes, numbering on.
        await first.Untyped.GracefulStop(Timeout);
        var second = Sys.ActorOf(StorageActor.Props(store, listeners), "storage-2").Typed<StorageCommand>();
        var outcome = await ExecuteAsync(second, 2);

        var committed = probe.ExpectMsg<ChangesCommitted>(Timeout);
        Assert.Equal((outcome.Result!.Version, 2L), (committed.Version, committed.Sequence));
    }

    [Fact]
    public void A_listener_that_stops_is_removed()
    {
        var store = _stores.Build();
        var listeners = new StorageListeners();
        var storage = Sys.ActorOf(StorageActor.Props(store, listeners), "storage").Typed<StorageCommand>();
        var listener = CreateTestProbe();
        storage.Tell(new SubscribeStorageEvents(listener.Ref.Typed<StorageEvent>()));
        AwaitAssert(() => Assert.Equal(1, listeners.Count), Timeout);

        Sys.Stop(listener.Ref);

        AwaitAssert(() => Assert.Equal(0, listeners.Count), Timeout);
    }

    [Fact]
    public async Task A_listener_whose_mailbox_dropped_events_sees_a_gap_in_their_sequence_and_the_drop_is_counted()
    {
        using var metrics = new MetricRecorder(Sys.Name);
        var store = _stores.Build();
        var storage = Sys.ActorOf(StorageActor.Props(store), "storage").Typed<StorageCommand>();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var received = CreateTestProbe();
        var listener = Sys.ActorOf(Props.Create(() => new GatedListener(gate.Task, holding, received.Ref)).WithMailbox(TinyDropNewest), "slow-listener");
        storage.Tell(new SubscribeStorageEvents(listener.Typed<StorageEvent>()));

        // The listener holds the first event, its two-slot mailbox takes the next two, the fourth is dropped.
        await ExecuteAsync(storage, 1);
        await holding.Task.WaitAsync(Timeout);
        for (var i = 2; i <= 4; i++)
        {
            await ExecuteAsync(storage, i);
        }

        gate.SetResult();
        var sequences = new List<(long, long)>();
        for (var i = 0; i < 3; i++)
        {
            var held = received.ExpectMsg<ChangesCommitted>(Timeout);
            sequences.Add((held.Version, held.Sequence));
        }

        await ExecuteAsync(storage, 5);
        var next = received.ExpectMsg<ChangesCommitted>(Timeout);
        sequences.Add((next.Version, next.Sequence));

        Assert.Equal([(1L, 1L), (2L, 2L), (3L, 3L), (5L, 5L)], sequences);
        Assert.Equal(1, metrics.Sum(ActorMetrics.MessagesDropped, "/user/slow-listener"));
    }

    private static async Task<TransactionOutcome> ExecuteAsync(ActorRef<StorageCommand> storage, int id)
    {
        var outcome = await storage.Ask<TransactionOutcome>(
            reply => new ExecuteTransaction([new Statement($"INSERT INTO items (id, name) VALUES ({id}, 'x')")], null, reply),
            Timeout);
        Assert.Null(outcome.Error);
        return outcome;
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        _stores.Dispose();
    }

    /// <summary>A listener that holds its first event until the gate opens, then passes every event on.</summary>
    private sealed class GatedListener : ReceiveActor
    {
        public GatedListener(Task gate, TaskCompletionSource holding, IActorRef received)
        {
            ReceiveAsync<StorageEvent>(async e =>
            {
                holding.TrySetResult();
                await gate;
                received.Tell(e);
            });
        }
    }
}
