using Akka.TestKit;
using Corrosion.Agent.Actors;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Tests.Support;

namespace Corrosion.Agent.Tests.Storage;

/// <summary>The storage actor compacts bookkeeping on its timer, after writes (virtual time).</summary>
public sealed class StorageActorCompactionTests : NodeTestKit
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly StoreBuilder _stores = new();

    public StorageActorCompactionTests()
        : base(config: VirtualTime)
    {
    }

    private TestScheduler Scheduler => (TestScheduler)Sys.Scheduler;

    private (ActorRef<StorageCommand> Storage, CrdtStore Store) Start(TimeSpan interval)
    {
        var store = _stores.Open(_stores.Options("node") with { CompactionInterval = interval, CompactionBatch = 10 });
        return (Sys.ActorOf(StorageActor.Props(store)).Typed<StorageCommand>(), store);
    }

    private void Update(ActorRef<StorageCommand> storage, int times)
    {
        var reply = CreateTestProbe();
        for (var i = 0; i < times; i++)
        {
            storage.Tell(new ExecuteTransaction([new Statement($"INSERT OR REPLACE INTO items (id, name) VALUES (1, 'n{i}')")], null, reply.Ref.Typed<TransactionOutcome>()));
        }

        for (var i = 0; i < times; i++)
        {
            Assert.NotNull(reply.ExpectMsg<TransactionOutcome>(Timeout).Result);
        }

        // A reply comes before the actor arms the compaction timer (after the message): one more round trip, so the timer
        // is set before the test moves the clock.
        var sync = CreateTestProbe();
        storage.Tell(new ReadSyncState(sync.Ref.Typed<SyncState>()));
        sync.ExpectMsg<SyncState>(Timeout);
    }

    private static long Rows(CrdtStore store) => store.Scalar("SELECT count(*) FROM __corro_versions").AsInteger;

    [Fact]
    public void Writes_are_compacted_an_interval_later_in_bounded_steps()
    {
        var (storage, store) = Start(TimeSpan.FromSeconds(1));
        Update(storage, 50);
        Assert.Equal(50, Rows(store));

        // The overwritten versions wait for the interval; then steps of 10 versions, 10 ms apart.
        Scheduler.Advance(TimeSpan.FromMilliseconds(990));
        Assert.Equal(50, Rows(store));
        Scheduler.Advance(TimeSpan.FromMilliseconds(10));
        // One step: at most 10 versions (fewer when it takes longer than its 5 ms).
        AwaitCondition(() => Rows(store) < 50, Timeout);
        Assert.InRange(Rows(store), 40, 49);
        // The next steps, each armed by the last one: time moves on until they are done.
        AwaitCondition(() =>
        {
            Scheduler.Advance(StorageActor.CompactionBusyPause);
            return Rows(store) == 1;
        }, Timeout);
        Assert.False(store.CompactionPending);

        // Later writes arm it again: an interval after them, one step.
        Update(storage, 5);
        Assert.Equal(6, Rows(store));
        Scheduler.Advance(TimeSpan.FromMilliseconds(990));
        Assert.Equal(6, Rows(store));
        Scheduler.Advance(TimeSpan.FromMilliseconds(10));
        AwaitCondition(() =>
        {
            Scheduler.Advance(StorageActor.CompactionBusyPause);
            return Rows(store) == 1;
        }, Timeout);
    }

    [Fact]
    public void Compaction_is_off_with_a_zero_interval()
    {
        var (storage, store) = Start(TimeSpan.Zero);
        Update(storage, 20);

        Scheduler.Advance(TimeSpan.FromMinutes(1));
        Update(storage, 1);

        Assert.Equal(21, Rows(store));
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        _stores.Dispose();
    }
}
