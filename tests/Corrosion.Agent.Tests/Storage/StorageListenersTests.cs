using Corrosion.Actors;
using Corrosion.Actors.TestKit;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Tests.Support;

namespace Corrosion.Agent.Tests.Storage;

public sealed class StorageListenersTests : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly StoreBuilder _stores = new();
    private readonly ActorSystem _system = ActorSystem.Create("storage-listeners");

    [Fact]
    public async Task Listeners_outlive_the_writer_they_subscribed_to()
    {
        var store = _stores.Build();
        var listeners = new StorageListeners();
        var probe = new TestProbe<StorageEvent>(_system);
        var first = _system.Spawn(() => new StorageActor(store, listeners), "storage-1");
        await first.TellAsync(new SubscribeStorageEvents(probe.Ref));
        await Wait.UntilAsync(() => listeners.Count == 1, "the listener is registered", Timeout);

        // A new incarnation over the same listeners (as the supervisor restarts the writer) still publishes.
        _system.Stop(first);
        var second = _system.Spawn(() => new StorageActor(store, listeners), "storage-2");
        var outcome = await second.Ask<TransactionOutcome>(
            reply => new ExecuteTransaction([new Statement("INSERT INTO items (id, name) VALUES (1, 'a')")], null, reply),
            Timeout);

        Assert.Null(outcome.Error);
        var committed = await probe.ExpectMessageAsync<ChangesCommitted>(Timeout);
        Assert.Equal(outcome.Result!.Version, committed.Version);
    }

    [Fact]
    public async Task A_listener_that_stops_is_removed()
    {
        var store = _stores.Build();
        var listeners = new StorageListeners();
        var storage = _system.Spawn(() => new StorageActor(store, listeners), "storage");
        var listener = _system.Spawn(() => new Gate(), "listener");
        await storage.TellAsync(new SubscribeStorageEvents(listener));
        await Wait.UntilAsync(() => listeners.Count == 1, "the listener is registered", Timeout);

        _system.Stop(listener);

        await Wait.UntilAsync(() => listeners.Count == 0, "the stopped listener is removed", Timeout);
    }

    [Fact]
    public async Task A_listener_that_missed_events_is_told_before_the_next_one()
    {
        var store = _stores.Build();
        var storage = _system.Spawn(() => new StorageActor(store), "storage");
        var gate = new Gate();
        var listener = _system.Spawn(() => gate, "slow-listener", new MailboxOptions(2, MailboxFullMode.Wait));
        await storage.TellAsync(new SubscribeStorageEvents(listener));

        // The listener holds the first event, its two-slot mailbox takes the next two, the fourth is dropped.
        for (var i = 1; i <= 4; i++)
        {
            await ExecuteAsync(storage, i);
        }

        gate.Open();
        await Wait.UntilAsync(() => gate.Received.Count >= 3, "the held events are handled", Timeout);
        await ExecuteAsync(storage, 5);
        await Wait.UntilAsync(() => gate.Received.Count >= 5, "the marker and the next event arrive", Timeout);

        var kinds = gate.Received.Select(e => e.GetType()).ToList();
        Assert.Equal([typeof(ChangesCommitted), typeof(ChangesCommitted), typeof(ChangesCommitted), typeof(StorageEventsDropped), typeof(ChangesCommitted)], kinds);
        Assert.Equal(5, ((ChangesCommitted)gate.Received[4]).Version);
    }

    private static async Task ExecuteAsync(ActorRef<StorageCommand> storage, int id)
    {
        var outcome = await storage.Ask<TransactionOutcome>(
            reply => new ExecuteTransaction([new Statement($"INSERT INTO items (id, name) VALUES ({id}, 'x')")], null, reply),
            Timeout);
        Assert.Null(outcome.Error);
    }

    public async ValueTask DisposeAsync()
    {
        await _system.DisposeAsync();
        _stores.Dispose();
    }

    /// <summary>A listener that holds its first event until opened, then records everything.</summary>
    private sealed class Gate : Actor<StorageEvent>
    {
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly List<StorageEvent> _received = [];

        public IReadOnlyList<StorageEvent> Received
        {
            get
            {
                lock (_received)
                {
                    return [.. _received];
                }
            }
        }

        public void Open() => _open.TrySetResult();

        protected override async ValueTask OnReceive(StorageEvent message)
        {
            await _open.Task;
            lock (_received)
            {
                _received.Add(message);
            }
        }
    }
}
