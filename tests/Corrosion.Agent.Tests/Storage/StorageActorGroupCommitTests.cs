using Akka.TestKit;
using Corrosion.Agent.Actors;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Corrosion.Agent.Tests.Storage;

/// <summary>
/// Group commit in the writer: transactions waiting in its mailbox share one SQLite commit. To make
/// them wait, another connection holds the database's write lock while they are sent: the writer's
/// first commit blocks on it (busy timeout), the rest queue up behind, so there are at most two
/// groups, and which transaction lands in which is the only thing left to chance.
/// </summary>
public sealed class StorageActorGroupCommitTests : NodeTestKit
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly StoreBuilder _stores = new();

    [Fact]
    public void Concurrent_writes_share_commits_and_each_is_acknowledged_with_its_own_version_in_order()
    {
        var (storage, store, path) = Start("concurrent");
        var listener = CreateTestProbe();
        storage.Tell(new SubscribeStorageEvents(listener.Ref.Typed<StorageEvent>()));
        var groupedListener = CreateTestProbe();
        storage.Tell(new SubscribeStorageEvents(groupedListener.Ref.Typed<StorageEvent>()) { Grouped = true });
        var replies = Enumerable.Range(0, 20).Select(_ => CreateTestProbe()).ToList();

        using (WriteLock(path))
        {
            for (var i = 0; i < replies.Count; i++)
            {
                storage.Tell(Insert(i + 1, replies[i]));
            }

            // Nothing can be committed while the lock is held, so nothing may be acknowledged.
            replies[0].ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        }

        var outcomes = replies.Select(r => r.ExpectMsg<TransactionOutcome>(Timeout)).ToList();
        Assert.All(outcomes, o => Assert.Null(o.Error));
        var versions = outcomes.Select(o => o.Result!.Version!.Value).ToList();
        Assert.Equal(Enumerable.Range(1, 20).Select(v => (long)v), versions);
        Assert.True(outcomes.Max(o => o.CommittedWith) >= 10, $"commits shared by {string.Join(",", outcomes.Select(o => o.CommittedWith))}");
        var published = Enumerable.Range(0, 20).Select(_ => listener.ExpectMsg<ChangesCommitted>(Timeout)).ToList();
        Assert.Equal(versions, published.Select(e => e.Version));
        Assert.Equal(versions, published.Select(e => e.FirstVersion));

        // A grouped listener: one event per commit, covering its versions; together every version once, in order, each chunk under its own.
        var groups = new List<ChangesCommitted>();
        while (groups.Sum(e => e.Version - e.FirstVersion + 1) < 20)
        {
            groups.Add(groupedListener.ExpectMsg<ChangesCommitted>(Timeout));
        }

        Assert.Equal(versions, groups.SelectMany(e => LongRange(e.FirstVersion, e.Version)));
        Assert.Equal(versions, groups.SelectMany(e => e.Changesets).Select(c => c.Version));
        Assert.Equal(Enumerable.Range(1, groups.Count).Select(n => (long)n), groups.Select(e => e.Sequence));
        // A commit shared by k transactions leaves at most 20 - k others, so at most 21 - k events (per transaction: 20).
        Assert.InRange(groups.Count, 1, 21 - outcomes.Max(o => o.CommittedWith));
        groupedListener.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        Assert.Equal(20L, store.Scalar("SELECT count(*) FROM items").AsInteger);
        Assert.Equal(20L, store.CurrentVersion);
    }

    [Fact]
    public void A_failing_transaction_in_a_group_rolls_back_alone_and_gets_its_own_error()
    {
        var (storage, store, path) = Start("failing");
        var replies = Enumerable.Range(0, 5).Select(_ => CreateTestProbe()).ToList();

        using (WriteLock(path))
        {
            storage.Tell(Insert(1, replies[0]));
            storage.Tell(Insert(2, replies[1]));
            // The first statement writes, the second fails: the savepoint takes back both.
            storage.Tell(new ExecuteTransaction(
                [new Statement("INSERT INTO items (id, name) VALUES (30, 'undone')"), new Statement("INSERT INTO items (id, name) VALUES (1, 'duplicate key')")],
                null,
                replies[2].Ref.Typed<TransactionOutcome>()));
            storage.Tell(Insert(4, replies[3]));
            storage.Tell(Insert(5, replies[4]));
        }

        var outcomes = replies.Select(r => r.ExpectMsg<TransactionOutcome>(Timeout)).ToList();
        var failed = outcomes[2];
        Assert.Null(failed.Result);
        Assert.Contains("UNIQUE constraint failed", failed.Error, StringComparison.Ordinal);
        Assert.Equal(1, failed.StatementIndex);
        Assert.False(failed.TimedOut);
        long[] expected = [1, 2, 3, 4];
        Assert.Equal(expected, outcomes.Where((_, i) => i != 2).Select(o => o.Result!.Version!.Value));
        // Wherever the lock split the transactions, the one after the failure shared its commit.
        Assert.True(outcomes[3].CommittedWith >= 2, $"commits shared by {string.Join(",", outcomes.Select(o => o.CommittedWith))}");
        Assert.Equal(["1", "2", "4", "5"], store.Rows("SELECT id FROM items ORDER BY id").Select(r => r[0].ToString()));
    }

    [Fact]
    public async Task Transactions_answered_through_their_completion_get_their_own_outcome_only_after_the_shared_commit()
    {
        var (storage, store, path) = Start("completion");
        var replies = new List<Task<TransactionOutcome>>();

        using (WriteLock(path))
        {
            for (var i = 1; i <= 8; i++)
            {
                // The fifth repeats the first's key: it fails alone, and takes its first statement back with it.
                IReadOnlyList<Statement> statements = i == 5
                    ? [new Statement("INSERT INTO items (id, name) VALUES (50, 'undone')"), new Statement("INSERT INTO items (id, name) VALUES (1, 'duplicate key')")]
                    : [new Statement($"INSERT INTO items (id, name) VALUES ({i}, 'x')")];
                storage.Tell(ExecuteTransaction.Completing(statements, null, out var reply));
                replies.Add(reply);
            }

            // Nothing is committed while the lock is held, so nothing may be answered.
            await Task.Delay(200);
            Assert.All(replies, r => Assert.False(r.IsCompleted));
        }

        var outcomes = await Task.WhenAll(replies).WaitAsync(Timeout);
        var failed = outcomes[4];
        Assert.Null(failed.Result);
        Assert.Contains("UNIQUE constraint failed", failed.Error, StringComparison.Ordinal);
        Assert.Equal(1, failed.StatementIndex);
        var committed = outcomes.Where((_, i) => i != 4).ToList();
        Assert.All(committed, o => Assert.Null(o.Error));
        Assert.Equal(Enumerable.Range(1, 7).Select(v => (long)v), committed.Select(o => o.Result!.Version!.Value));
        Assert.True(committed.Max(o => o.CommittedWith) >= 4, $"commits shared by {string.Join(",", outcomes.Select(o => o.CommittedWith))}");
        Assert.Equal(["1", "2", "3", "4", "6", "7", "8"], store.Rows("SELECT id FROM items ORDER BY id").Select(r => r[0].ToString()));
    }

    [Fact]
    public async Task Transactions_sent_while_the_thread_pool_is_busy_are_committed_after_its_queued_work()
    {
        // With work queued on the thread pool the writer puts its commit note behind that work: the
        // transactions must still all be answered, each with its own version.
        var (storage, store, _) = Start("busy-pool");
        using var release = new ManualResetEventSlim();
        var queued = Environment.ProcessorCount * 8;
        var ran = 0;
        for (var i = 0; i < queued; i++)
        {
            ThreadPool.QueueUserWorkItem(_ =>
            {
                release.Wait(Timeout);
                Interlocked.Increment(ref ran);
            });
        }

        var replies = new List<Task<TransactionOutcome>>();
        for (var i = 1; i <= 20; i++)
        {
            storage.Tell(ExecuteTransaction.Completing([new Statement($"INSERT INTO items (id, name) VALUES ({i}, 'x')")], null, out var reply));
            replies.Add(reply);
        }

        release.Set();
        var outcomes = await Task.WhenAll(replies).WaitAsync(Timeout);
        Assert.All(outcomes, o => Assert.Null(o.Error));
        Assert.Equal(Enumerable.Range(1, 20).Select(v => (long)v), outcomes.Select(o => o.Result!.Version!.Value).Order());
        Assert.Equal(20L, store.Scalar("SELECT count(*) FROM items").AsInteger);
    }

    [Fact]
    public void Every_acknowledged_transaction_is_committed_when_its_answer_arrives_and_survives_a_restart()
    {
        var options = _stores.Options("durable");
        var store = _stores.Open(options);
        var storage = Sys.ActorOf(StorageActor.Props(store)).Typed<StorageCommand>();
        var replies = Enumerable.Range(0, 10).Select(_ => CreateTestProbe()).ToList();

        using (WriteLock(options.Path))
        {
            for (var i = 0; i < replies.Count; i++)
            {
                storage.Tell(Insert(i + 1, replies[i]));
            }
        }

        for (var i = 0; i < replies.Count; i++)
        {
            Assert.Null(replies[i].ExpectMsg<TransactionOutcome>(Timeout).Error);
            // Another connection sees only committed data: the answer came after the commit.
            Assert.Equal(1L, CountOnOwnConnection(options.Path, i + 1));
        }

        Sys.Stop(storage.Untyped);
        store.Dispose();
        using var reopened = CrdtStore.Open(options);
        Assert.Equal(10L, reopened.Scalar("SELECT count(*) FROM items").AsInteger);
        Assert.Equal(10L, reopened.CurrentVersion);
    }

    [Fact]
    public void A_group_whose_transaction_times_out_still_commits_the_others()
    {
        var (storage, store, path) = Start("timeout");
        var replies = Enumerable.Range(0, 3).Select(_ => CreateTestProbe()).ToList();
        var limit = TimeSpan.FromMilliseconds(300);

        using (WriteLock(path))
        {
            storage.Tell(new ExecuteTransaction([new Statement("INSERT INTO items (id, name) VALUES (1, 'a')")], limit, replies[0].Ref.Typed<TransactionOutcome>()));
            // Runs far beyond its timeout: SQLite interrupts the write and ends the whole shared transaction.
            storage.Tell(new ExecuteTransaction(
                [new Statement("INSERT INTO items (id, name) SELECT 1000 + i, 'slow' FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000000) SELECT i FROM n)")],
                limit,
                replies[1].Ref.Typed<TransactionOutcome>()));
            storage.Tell(new ExecuteTransaction([new Statement("INSERT INTO items (id, name) VALUES (3, 'c')")], limit, replies[2].Ref.Typed<TransactionOutcome>()));
        }

        var outcomes = replies.Select(r => r.ExpectMsg<TransactionOutcome>(Timeout)).ToList();
        Assert.True(outcomes[1].TimedOut, outcomes[1].Error);
        Assert.Null(outcomes[0].Error);
        Assert.Null(outcomes[2].Error);
        Assert.Equal([1L, 2L], new[] { outcomes[0].Result!.Version!.Value, outcomes[2].Result!.Version!.Value });
        Assert.Equal(["1", "3"], store.Rows("SELECT id FROM items ORDER BY id").Select(r => r[0].ToString()));
    }

    [Fact]
    public void With_a_group_size_of_one_every_transaction_commits_alone()
    {
        var store = _stores.Build();
        var storage = Sys.ActorOf(StorageActor.Props(store, groupCommitMax: 1)).Typed<StorageCommand>();
        var reply = CreateTestProbe();

        for (var i = 1; i <= 5; i++)
        {
            storage.Tell(Insert(i, reply));
        }

        var outcomes = Enumerable.Range(0, 5).Select(_ => reply.ExpectMsg<TransactionOutcome>(Timeout)).ToList();
        Assert.All(outcomes, o => Assert.Equal(1, o.CommittedWith));
        Assert.Equal([1L, 2L, 3L, 4L, 5L], outcomes.Select(o => o.Result!.Version!.Value));
    }

    [Fact]
    public void Other_messages_see_the_transactions_queued_before_them_committed()
    {
        var (storage, store, path) = Start("order");
        var reply = CreateTestProbe();
        var state = CreateTestProbe();

        using (WriteLock(path))
        {
            storage.Tell(Insert(1, reply));
            storage.Tell(Insert(2, reply));
            storage.Tell(new ReadSyncState(state.Ref.Typed<SyncState>()));
            storage.Tell(Insert(3, reply));
        }

        Assert.Equal(2, state.ExpectMsg<SyncState>(Timeout).Heads[store.SiteId]);
        Assert.Equal([1L, 2L, 3L], Enumerable.Range(0, 3).Select(_ => reply.ExpectMsg<TransactionOutcome>(Timeout).Result!.Version!.Value).Order());
    }

    private (ActorRef<StorageCommand> Storage, CrdtStore Store, string Path) Start(string name)
    {
        var options = _stores.Options(name);
        var store = _stores.Open(options);
        return (Sys.ActorOf(StorageActor.Props(store)).Typed<StorageCommand>(), store, options.Path);
    }

    /// <summary>Holds the database's write lock on a connection of its own until disposed (the writer waits on its busy timeout).</summary>
    private static SqliteConnection WriteLock(string path)
    {
        var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var begin = connection.CreateCommand();
        begin.CommandText = "BEGIN IMMEDIATE";
        begin.ExecuteNonQuery();
        return connection;
    }

    private static long CountOnOwnConnection(string path, int id)
    {
        using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM items WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        return (long)command.ExecuteScalar()!;
    }

    private static ExecuteTransaction Insert(int id, TestProbe reply) =>
        new([new Statement($"INSERT INTO items (id, name) VALUES ({id}, 'x')")], null, reply.Ref.Typed<TransactionOutcome>());

    protected override void AfterAll()
    {
        base.AfterAll();
        _stores.Dispose();
    }

    private static IEnumerable<long> LongRange(long first, long last)
    {
        for (var v = first; v <= last; v++)
        {
            yield return v;
        }
    }
}
