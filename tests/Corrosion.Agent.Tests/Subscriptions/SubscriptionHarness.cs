using Akka.Actor;
using Corrosion.Agent.Actors;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Subscriptions;
using Corrosion.Agent.Tests.Storage;
using Corrosion.Agent.Tests.Support;

namespace Corrosion.Agent.Tests.Subscriptions;

/// <summary>
/// A store, its StorageActor and a SubscriptionActor in one actor system; can stop and start again
/// over the same files, as a node restart would.
/// </summary>
internal sealed class SubscriptionHarness : IAsyncDisposable
{
    public const string Schema = """
        CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, qty INTEGER DEFAULT 0 NOT NULL, team TEXT);
        CREATE TABLE teams (name TEXT NOT NULL PRIMARY KEY, region TEXT);
        """;

    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private readonly StoreBuilder _stores;
    private readonly StoreOptions _storeOptions;
    private ActorSystem? _system;

    private SubscriptionHarness(StoreBuilder stores, SubscriptionOptions options)
    {
        _stores = stores;
        Options = options;
        _storeOptions = stores.Options("node") with { ReadConnectionOpened = Gate.Register };
        FilePath = _storeOptions.Path + SubscriptionOptions.DefaultPathSuffix;
    }

    public SubscriptionOptions Options { get; set; }

    public string FilePath { get; }

    public CrdtStore Store { get; private set; } = null!;

    public ActorRef<StorageCommand> Storage { get; private set; } = null!;

    public ActorRef<SubscriptionCommand> Subscriptions { get; private set; } = null!;

    public ActorSystem System => _system ?? throw new InvalidOperationException("the harness is stopped");

    public StoreBuilder Stores => _stores;

    /// <summary><c>test_gate()</c> on the read connections, to hold a query for as long as a test needs.</summary>
    public SqlGate Gate { get; } = new();

    public static async Task<SubscriptionHarness> StartAsync(SubscriptionOptions? options = null, string schema = Schema)
    {
        var harness = new SubscriptionHarness(new StoreBuilder().WithSchema(schema), options ?? new SubscriptionOptions { BatchWindow = TimeSpan.FromMilliseconds(5) });
        await harness.StartAgainAsync();
        return harness;
    }

    /// <summary>Opens the store and starts the actors (again, after <see cref="StopAsync"/>).</summary>
    public async Task StartAgainAsync()
    {
        Store = _stores.Open(_storeOptions);
        _system = NodeActorSystem.Create("subs-tests");
        Storage = _system.ActorOf(StorageActor.Props(Store), "storage").Typed<StorageCommand>();
        Subscriptions = _system.ActorOf(SubscriptionActor.Props(Store, Storage, Options, FilePath, new Random(42)), "subscriptions").Typed<SubscriptionCommand>();
        // A first answer means PreStart finished (the file is loaded and storage events are wired).
        var probe = await Subscriptions.Ask<SubscribeOutcome>(r => new AttachSubscription("warm-up", null, false, r), Timeout);
        Assert.Equal(SubscriptionErrorKind.NotFound, probe.Error?.Kind);
    }

    /// <summary>Stops the actors and closes the store, as a process exit would.</summary>
    public async Task StopAsync()
    {
        if (_system is not null)
        {
            await _system.Terminate();
            _system = null;
        }

        Store.Dispose();
    }

    public async Task<TransactionResult> WriteAsync(string sql, params object?[] args)
    {
        var outcome = await Storage.Ask<TransactionOutcome>(
            r => new ExecuteTransaction([new Statement(sql, args.Select(SqlValue.FromObject).ToArray())], null, r),
            Timeout);
        Assert.True(outcome.Error is null, outcome.Error);
        return outcome.Result!;
    }

    public async Task<TransactionResult> WriteAsync(IReadOnlyList<Statement> statements)
    {
        var outcome = await Storage.Ask<TransactionOutcome>(r => new ExecuteTransaction(statements, null, r), Timeout);
        Assert.True(outcome.Error is null, outcome.Error);
        return outcome.Result!;
    }

    public Task<SubscribeOutcome> TrySubscribeAsync(string sql, bool skipRows = false, params object?[] args) =>
        Subscriptions.Ask<SubscribeOutcome>(r => new Subscribe(new Statement(sql, args.Length == 0 ? null : args.Select(SqlValue.FromObject).ToArray()), skipRows, r), Timeout);

    public async Task<SubscriptionStream> SubscribeAsync(string sql, params object?[] args)
    {
        var outcome = await TrySubscribeAsync(sql, false, args);
        Assert.True(outcome.Stream is not null, outcome.Error?.Message);
        return outcome.Stream!;
    }

    public Task<SubscribeOutcome> AttachAsync(string queryId, long? from, bool skipRows = false) =>
        Subscriptions.Ask<SubscribeOutcome>(r => new AttachSubscription(queryId, from, skipRows, r), Timeout);

    /// <summary>The rows of running <paramref name="sql"/> now, as comparable text, sorted.</summary>
    public List<string> QueryNow(string sql) => Rendered(Store.Rows(sql));

    public static List<string> Rendered(IEnumerable<IReadOnlyList<SqlValue>> rows) =>
        rows.Select(r => string.Join("|", r.Select(c => $"{c.Kind}:{c}"))).Order(StringComparer.Ordinal).ToList();

    public async ValueTask DisposeAsync()
    {
        Gate.Open(); // a query still held must finish for the actors to stop
        if (_system is not null)
        {
            await _system.Terminate();
        }

        _stores.Dispose();
        Gate.Dispose();
    }
}

/// <summary>A client's copy of a subscription's result, maintained from its rows and change events.</summary>
internal sealed class ClientCopy
{
    private readonly Dictionary<long, IReadOnlyList<SqlValue>> _rows = [];

    public ClientCopy(IEnumerable<QueryRow> rows, long changeId)
    {
        foreach (var row in rows)
        {
            Assert.True(_rows.TryAdd(row.RowId, row.Cells), $"row id {row.RowId} given twice");
        }

        LastChangeId = changeId;
    }

    public ClientCopy(SubscriptionStream stream)
        : this(stream.Rows, stream.EndOfQuery!.ChangeId)
    {
    }

    public long LastChangeId { get; private set; }

    public IReadOnlyDictionary<long, IReadOnlyList<SqlValue>> Rows => _rows;

    public List<string> Rendered => SubscriptionHarness.Rendered(_rows.Values);

    public void Apply(SubscriptionChange change)
    {
        Assert.Equal(LastChangeId + 1, change.ChangeId);
        LastChangeId = change.ChangeId;
        switch (change.Kind)
        {
            case ChangeKind.Insert:
                Assert.True(_rows.TryAdd(change.RowId, change.Cells), $"insert of existing row {change.RowId}");
                break;
            case ChangeKind.Update:
                Assert.True(_rows.ContainsKey(change.RowId), $"update of unknown row {change.RowId}");
                _rows[change.RowId] = change.Cells;
                break;
            case ChangeKind.Delete:
                Assert.True(_rows.Remove(change.RowId, out var old), $"delete of unknown row {change.RowId}");
                Assert.Equal(old, change.Cells);
                break;
        }
    }

    /// <summary>Applies whatever changes are buffered now.</summary>
    public List<SubscriptionChange> Drain(SubscriptionStream stream)
    {
        var taken = new List<SubscriptionChange>();
        while (stream.Changes.TryRead(out var change))
        {
            Apply(change);
            taken.Add(change);
        }

        return taken;
    }

    /// <summary>Applies changes until the copy matches <paramref name="expected"/> or the deadline passes.</summary>
    public async Task CatchUpAsync(SubscriptionStream stream, Func<List<string>> expected, TimeSpan? deadline = null)
    {
        var until = DateTime.UtcNow + (deadline ?? SubscriptionHarness.Timeout);
        while (true)
        {
            Drain(stream);
            var want = expected();
            if (Rendered.SequenceEqual(want))
            {
                return;
            }

            if (DateTime.UtcNow > until)
            {
                Assert.Equal(want, Rendered);
            }

            using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
            try
            {
                await stream.Changes.WaitToReadAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }
}

/// <summary>Reads change events with a deadline.</summary>
internal static class StreamReading
{
    public static async Task<List<SubscriptionChange>> TakeAsync(this SubscriptionStream stream, int count, TimeSpan? deadline = null)
    {
        using var cts = new CancellationTokenSource(deadline ?? SubscriptionHarness.Timeout);
        var changes = new List<SubscriptionChange>();
        while (changes.Count < count)
        {
            changes.Add(await stream.Changes.ReadAsync(cts.Token));
        }

        return changes;
    }
}
