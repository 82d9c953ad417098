using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using Corrosion.Agent.Actors;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Subscriptions;
using Corrosion.Agent.Tests.Storage;
using Corrosion.Agent.Tests.Support;

namespace Corrosion.Agent.Tests.Subscriptions;

/// <summary>The subscription actor's start-up handshake with storage through a probe, and its evaluation at once on virtual time (no batch window).</summary>
public sealed class SubscriptionActorProtocolTests : NodeTestKit
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly StoreBuilder _stores = new StoreBuilder().WithSchema(SubscriptionHarness.Schema);

    public SubscriptionActorProtocolTests()
        : base(config: VirtualTime)
    {
    }

    [Fact]
    public void Requests_wait_until_storage_has_taken_the_listener()
    {
        var store = _stores.Build();
        var storage = CreateTestProbe();
        var subscriptions = Start(store, storage.Ref.Typed<StorageCommand>(), new SubscriptionOptions());
        var subscribe = storage.ExpectMsg<SubscribeStorageEvents>(Timeout);
        var handshake = storage.ExpectMsg<ReadSyncState>(Timeout);
        // Told by the writer directly, without a forwarding child in between.
        Assert.Equal(subscriptions.Path, subscribe.Listener.Path);
        var reply = CreateTestProbe();

        subscriptions.Tell(new AttachSubscription("nope", null, false, reply.Ref.Typed<SubscribeOutcome>()));
        reply.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        handshake.ReplyTo.Tell(store.GetSyncState());

        Assert.Equal(SubscriptionErrorKind.NotFound, reply.ExpectMsg<SubscribeOutcome>(Timeout).Error!.Kind);
    }

    [Fact]
    public async Task A_change_is_evaluated_at_once_without_waiting_for_the_deprecated_batch_window()
    {
        var store = _stores.Build();
        var storage = Sys.ActorOf(StorageActor.Props(store)).Typed<StorageCommand>();
        // batch_window is deprecated and ignored: on virtual time that never advances, a timer-driven
        // evaluation would never happen, so the event arriving proves there is no wait.
        var subscriptions = Start(store, storage, new SubscriptionOptions { BatchWindow = TimeSpan.FromSeconds(1) });
        var outcome = await subscriptions.Ask<SubscribeOutcome>(r => new Subscribe(new Statement("SELECT id, name FROM items"), false, r), Timeout);
        await using var stream = outcome.Stream!;

        var written = await storage.Ask<TransactionOutcome>(r => new ExecuteTransaction([new Statement("INSERT INTO items (id, name) VALUES (1, 'a')")], null, r), Timeout);
        Assert.Null(written.Error);

        using var deadline = new CancellationTokenSource(Timeout);
        var change = await stream.Changes.ReadAsync(deadline.Token);
        Assert.Equal(ChangeKind.Insert, change.Kind);
        Assert.Equal(1L, change.ChangeId);
    }

    [Fact]
    public async Task After_a_restart_storage_events_are_numbered_afresh_and_followed_without_a_false_gap()
    {
        var store = _stores.Build();
        var storage = CreateTestProbe();
        var subscriptions = Start(store, storage.Ref.Typed<StorageCommand>(), new SubscriptionOptions());
        storage.ExpectMsg<SubscribeStorageEvents>(Timeout);
        storage.ExpectMsg<ReadSyncState>(Timeout);
        subscriptions.Untyped.Tell(Merged(1));
        subscriptions.Untyped.Tell(Merged(2));

        // Storage did not answer in time (as if its 30 s had passed): the actor fails and is restarted.
        subscriptions.Untyped.Tell(StartTimedOut.Instance);

        // The old incarnation leaves the writer's list and the new one joins it: its events count from 1.
        Assert.Equal(subscriptions.Path, storage.ExpectMsg<UnsubscribeStorageEvents>(Timeout).Listener.Path);
        Assert.Equal(subscriptions.Path, storage.ExpectMsg<SubscribeStorageEvents>(Timeout).Listener.Path);
        var handshake = storage.ExpectMsg<ReadSyncState>(Timeout);
        subscriptions.Untyped.Tell(Merged(3)); // still numbered for the old incarnation
        subscriptions.Untyped.Tell(Merged(1)); // the new numbering
        handshake.ReplyTo.Tell(store.GetSyncState());
        var watch = await subscriptions.Ask<WatchOutcome>(r => new WatchTable("items", r), Timeout);
        await using var watcher = watch.Stream!;
        var written = store.Execute([new Statement("INSERT INTO items (id, name) VALUES (1, 'a')")]);
        subscriptions.Untyped.Tell(new ChangesCommitted(store.SiteId, written.Version!.Value, written.Changesets) { Sequence = 2 });

        // A gap would end the watcher (it could have missed a change) instead of telling it of the write.
        using var deadline = new CancellationTokenSource(Timeout);
        var notification = await watcher.Notifications.ReadAsync(deadline.Token);
        Assert.Equal(UpdateKind.Update, notification.Kind);
    }

    [Fact]
    public async Task A_group_commit_comes_as_one_event_noted_transaction_by_transaction_and_the_next_group_is_no_gap()
    {
        var store = _stores.Build();
        var storage = CreateTestProbe();
        var subscriptions = Start(store, storage.Ref.Typed<StorageCommand>(), new SubscriptionOptions());
        // One event per group commit, not one per transaction: the writer tells one message per group.
        Assert.True(storage.ExpectMsg<SubscribeStorageEvents>(Timeout).Grouped);
        storage.ExpectMsg<ReadSyncState>(Timeout).ReplyTo.Tell(store.GetSyncState());
        var outcome = await subscriptions.Ask<SubscribeOutcome>(r => new Subscribe(new Statement("SELECT id, name FROM items"), false, r), Timeout);
        await using var stream = outcome.Stream!;
        var before = (await subscriptions.Ask<SubscriptionInfoOutcome>(r => new GetSubscriptionInfo(stream.QueryId, r), Timeout)).Info!;

        // Two groups of two transactions each, as the writer tells a grouped listener; the second
        // group's transactions update one row twice.
        string[] sql = ["INSERT INTO items (id, name) VALUES (1, 'a')", "INSERT INTO items (id, name) VALUES (2, 'b')", "UPDATE items SET name = 'c' WHERE id = 2", "UPDATE items SET name = 'd' WHERE id = 2"];
        var written = sql.Select(q => store.Execute([new Statement(q)])).ToList();
        for (var g = 0; g < 2; g++)
        {
            var (first, last) = (written[2 * g], written[(2 * g) + 1]);
            subscriptions.Untyped.Tell(new ChangesCommitted(store.SiteId, last.Version!.Value, [.. first.Changesets, .. last.Changesets])
            {
                FirstVersion = first.Version!.Value,
                Sequence = g + 1,
            });
        }

        using var deadline = new CancellationTokenSource(Timeout);
        var seen = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var change = await stream.Changes.ReadAsync(deadline.Token);
            seen.Add($"{change.Kind} {change.Cells[0].AsInteger} {change.Cells[1].AsText}");
        }

        // Each transaction of a group makes its own events, as when the writer told one event per transaction.
        Assert.Equal(["Insert 1 a", "Insert 2 b", "Update 2 c", "Update 2 d"], seen);
        // The second group starts right after the first one's last version: no version went missing,
        // so nothing was re-run in full (a gap makes the next evaluation a full run).
        var after = (await subscriptions.Ask<SubscriptionInfoOutcome>(r => new GetSubscriptionInfo(stream.QueryId, r), Timeout)).Info!;
        Assert.Equal(before.FullEvaluations, after.FullEvaluations);
    }

    private static ChangesMerged Merged(long sequence) => new(new MergeResult([], [], [])) { Sequence = sequence };

    private ActorRef<SubscriptionCommand> Start(CrdtStore store, ActorRef<StorageCommand> storage, SubscriptionOptions options) =>
        Sys.ActorOf(SubscriptionActor.Props(store, storage, options, Path.Combine(_stores.Root, Guid.NewGuid().ToString("N") + ".subs.db"), new Random(1)))
            .Typed<SubscriptionCommand>();

    protected override void AfterAll()
    {
        base.AfterAll();
        _stores.Dispose();
    }
}
