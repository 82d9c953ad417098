using Akka.TestKit;
using Corrosion.Agent.Actors;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Tests.Support;

namespace Corrosion.Agent.Tests.Storage;

/// <summary>The writer's protocol through test probes: replies go to the message's reply-to, events to listeners.</summary>
public sealed class StorageActorTests : NodeTestKit
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly StoreBuilder _stores = new();

    [Fact]
    public void A_committed_transaction_is_answered_to_its_reply_to_and_published_to_listeners()
    {
        var (storage, _) = Start();
        var listener = CreateTestProbe();
        var reply = CreateTestProbe();
        storage.Tell(new SubscribeStorageEvents(listener.Ref.Typed<StorageEvent>()));

        storage.Tell(Insert(1, reply));

        var outcome = reply.ExpectMsg<TransactionOutcome>(Timeout);
        var committed = listener.ExpectMsg<ChangesCommitted>(Timeout);
        Assert.Equal((1L, 1L, 1L), (outcome.Result!.Version!.Value, committed.Version, committed.Sequence));
    }

    [Fact]
    public void A_failed_statement_is_answered_with_its_error_and_nothing_is_published()
    {
        var (storage, _) = Start();
        var listener = CreateTestProbe();
        var reply = CreateTestProbe();
        storage.Tell(new SubscribeStorageEvents(listener.Ref.Typed<StorageEvent>()));

        storage.Tell(new ExecuteTransaction([new Statement("INSERT INTO nowhere VALUES (1)")], null, reply.Ref.Typed<TransactionOutcome>()));

        var outcome = reply.ExpectMsg<TransactionOutcome>(Timeout);
        Assert.Null(outcome.Result);
        Assert.Contains("no such table", outcome.Error, StringComparison.Ordinal);
        Assert.Equal(0, outcome.StatementIndex);
        listener.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void An_unsubscribed_listener_hears_nothing_more()
    {
        var (storage, _) = Start();
        var listener = CreateTestProbe();
        var reply = CreateTestProbe();
        storage.Tell(new SubscribeStorageEvents(listener.Ref.Typed<StorageEvent>()));
        storage.Tell(Insert(1, reply));
        listener.ExpectMsg<ChangesCommitted>(Timeout);

        storage.Tell(new UnsubscribeStorageEvents(listener.Ref.Typed<StorageEvent>()));
        storage.Tell(Insert(2, reply));

        reply.ExpectMsg<TransactionOutcome>(Timeout);
        reply.ExpectMsg<TransactionOutcome>(Timeout);
        listener.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Reads_of_sync_state_changes_and_members_are_answered_to_their_reply_to()
    {
        var (storage, store) = Start();
        var reply = CreateTestProbe();
        storage.Tell(Insert(1, reply));
        reply.ExpectMsg<TransactionOutcome>(Timeout);
        var member = new StoredMember(ActorId.NewId(), "127.0.0.1:9001", 3, 7, 1_700_000_000_000, "alive");

        storage.Tell(new ReadSyncState(reply.Ref.Typed<SyncState>()));
        storage.Tell(new ReadChanges(store.SiteId, new VersionRange(1, 1), reply.Ref.Typed<IReadOnlyList<Changeset>>()));
        storage.Tell(new SaveMembers([member]));
        storage.Tell(new LoadMembers(reply.Ref.Typed<IReadOnlyList<StoredMember>>()));

        Assert.Equal(1, reply.ExpectMsg<SyncState>(Timeout).Heads[store.SiteId]);
        Assert.Equal(1, Assert.IsType<ChangesetFull>(Assert.Single(reply.ExpectMsg<IReadOnlyList<Changeset>>(Timeout))).Version);
        Assert.Equal([member], reply.ExpectMsg<IReadOnlyList<StoredMember>>(Timeout));
    }

    [Fact]
    public void A_bad_changeset_in_a_merged_batch_does_not_hold_back_the_good_ones()
    {
        var (storage, store) = Start();
        var reply = CreateTestProbe();
        var stranger = ActorId.NewId();
        var bad = new ChangesetFull(stranger, 1, [new Change("nope", [SqlValue.FromInteger(1)], "x", SqlValue.FromText("v"), 1, 1, stranger, 1, 0)], new SeqRange(0, 0), 0, 1);
        var origin = ActorId.NewId();
        var good = new ChangesetFull(origin, 1, [new Change("items", [SqlValue.FromInteger(7)], "name", SqlValue.FromText("kept"), 1, 1, origin, 1, 0)], new SeqRange(0, 0), 0, 1);

        storage.Tell(new ApplyChangesets([bad, good], reply.Ref.Typed<ApplyOutcome>()));

        var outcome = reply.ExpectMsg<ApplyOutcome>(Timeout);
        Assert.Contains("nope", outcome.Error, StringComparison.Ordinal);
        Assert.Equal([origin], outcome.Result!.Applied.Select(a => a.Actor));
        using var rows = store.Query(new Statement("SELECT name FROM items WHERE id = 7"));
        Assert.Equal("'kept'", Assert.Single(rows.Rows).Cells[0].ToString());
    }

    private (ActorRef<StorageCommand> Storage, CrdtStore Store) Start()
    {
        var store = _stores.Build();
        return (Sys.ActorOf(StorageActor.Props(store)).Typed<StorageCommand>(), store);
    }

    private static ExecuteTransaction Insert(int id, TestProbe reply) =>
        new([new Statement($"INSERT INTO items (id, name) VALUES ({id}, 'x')")], null, reply.Ref.Typed<TransactionOutcome>());

    protected override void AfterAll()
    {
        base.AfterAll();
        _stores.Dispose();
    }
}
