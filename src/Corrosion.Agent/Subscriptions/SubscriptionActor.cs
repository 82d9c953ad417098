using System.Diagnostics;
using System.Threading.Channels;
using Akka.Actor;
using Corrosion.Agent.Actors;
using Corrosion.Agent.Storage;
using Microsoft.Extensions.Logging;

namespace Corrosion.Agent.Subscriptions;

/// <summary>
/// Owns every live query of the node (DESIGN.md §8). A subscription is a read-only statement over
/// replicated tables with a materialised result; when a committed or merged change touches a table it
/// reads, it is marked dirty, and after a short batch window each dirty statement runs once more on
/// the read pool and the difference is logged and sent to its listeners as row-level changes. Rows,
/// counters and the change log live in a SQLite file beside the database, so subscriptions survive a
/// restart (changes made while the node was down are found by re-evaluating at start). A listener
/// reads through a bounded channel; one that falls behind is dropped, never waited for.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "Akka owns an actor's lifetime: the subscription file is closed in PostStop (which a restart runs too).")]
public sealed partial class SubscriptionActor : ReceiveActor, IWithTimers, IWithStash
{
    private const string FlushTimer = "flush";
    private const string MaintenanceTimer = "maintenance";
    private const string StartTimer = "start";
    private const int MaxConsecutiveFailures = 10;
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan StorageTimeout = TimeSpan.FromSeconds(30);

    private readonly CrdtStore _store;
    private readonly ActorRef<StorageCommand> _storage;
    private readonly SubscriptionOptions _options;
    private readonly string _path;
    private readonly Random _random;
    private readonly int _parallelism = Math.Clamp(Environment.ProcessorCount / 2, 1, 4);
    private readonly Dictionary<string, LiveSubscription> _subscriptions = new(StringComparer.Ordinal);
    private readonly TableWatchers _watchers = new();
    private readonly Dictionary<string, LiveSubscription> _byHash = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _failures = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private SubscriptionFile? _file;
    private IActorRef? _events;
    private long _lastEventSequence;
    private long _nextListenerId;
    private long _lastLocalVersion;

    /// <summary>Creates the actor.</summary>
    /// <param name="store">The node's store; queries run on its read pool.</param>
    /// <param name="storage">The writer actor, whose committed and merged changes drive re-evaluation.</param>
    /// <param name="options">Batching, buffers, limits and retention.</param>
    /// <param name="path">The subscription file (see <see cref="SubscriptionOptions.ResolvePath"/>).</param>
    /// <param name="random">Source of query ids; a fresh one when null.</param>
    /// <param name="time">The clock of idle times and change ages; null for the system clock (timers run on Akka's scheduler).</param>
    public SubscriptionActor(CrdtStore store, ActorRef<StorageCommand> storage, SubscriptionOptions options, string path, Random? random = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        _store = store;
        _storage = storage;
        _options = options.Validate();
        _path = path;
        _random = random ?? new Random();
        _time = time ?? TimeProvider.System;
        _log = Context.LoggerFor<SubscriptionActor>();
        Starting();
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <inheritdoc />
    public IStash Stash { get; set; } = null!;

    private SubscriptionFile File => _file ?? throw new InvalidOperationException("the subscription file is not open");

    private DateTimeOffset Now => _time.GetUtcNow();

    private long NowMs => Now.ToUnixTimeMilliseconds();

    /// <summary>The actor's props, with its bounded mailbox (<see cref="NodeMailboxes.Subscriptions"/>: senders wait).</summary>
    /// <param name="store">The node's store.</param>
    /// <param name="storage">The writer actor.</param>
    /// <param name="options">Batching, buffers, limits and retention.</param>
    /// <param name="path">The subscription file.</param>
    /// <param name="random">Source of query ids; a fresh one when null.</param>
    /// <param name="time">The clock of idle times and change ages; null for the system clock.</param>
    /// <returns>The props.</returns>
    public static Props Props(CrdtStore store, ActorRef<StorageCommand> storage, SubscriptionOptions options, string path, Random? random = null, TimeProvider? time = null) =>
        Akka.Actor.Props.Create(() => new SubscriptionActor(store, storage, options, path, random, time)).WithMailbox(NodeMailboxes.Subscriptions);

    /// <inheritdoc />
    protected override void PreStart()
    {
        _file = new SubscriptionFile(_path);
        var now = Now;
        foreach (var stored in _file.LoadAll())
        {
            var result = new MaterializedResult(stored.LastChangeId, stored.LastRowId, stored.Rows);
            var subscription = new LiveSubscription(stored.Id, stored.Statement, stored.Hash, stored.Columns, result, stored.PrunedThrough)
            {
                // Listeners gone with the old process get a full idle period to come back.
                IdleSince = now,
                // Whatever changed while the node was down is found by evaluating again.
                Dirty = true,
            };
            Add(subscription);
        }

        // The writer watches its listeners: when this actor restarts, the old listener (a child)
        // stops and leaves the writer's list; the new one numbers its events from 1 again.
        _events = Context.ActorOf(SubscriptionStorageForwarder.Props(Self.Typed<SubscriptionCommand>()), "storage-events");
        _storage.Tell(new SubscribeStorageEvents(_events.Typed<StorageEvent>()), Self);
        // The writer handles its mailbox in order: once this answers, every later commit is
        // published to the listener, so an evaluation from then on misses nothing.
        _storage.Tell(new ReadSyncState(Self.Typed<SyncState>()), Self);
        Timers.StartSingleTimer(StartTimer, StartTimedOut.Instance, StorageTimeout);
    }

    /// <inheritdoc />
    protected override void PreRestart(Exception reason, object message)
    {
        Close($"the subscription service restarted after a failure ({reason?.Message})");
        base.PreRestart(reason, message);
    }

    /// <inheritdoc />
    protected override void PostStop() => Close("the subscription service stopped");

    /// <summary>Until storage has the listener: every request waits in the stash.</summary>
    private void Starting()
    {
        Receive<SyncState>(_ =>
        {
            Timers.Cancel(StartTimer);
            Become(Ready);
            Stash.UnstashAll();
            Timers.StartPeriodicTimer(MaintenanceTimer, MaintenanceTick.Instance, _options.MaintenanceInterval);
            if (_subscriptions.Count > 0)
            {
                LogLoaded(_log, _subscriptions.Count, _path);
                Timers.StartSingleTimer(FlushTimer, FlushDirty.Instance, TimeSpan.Zero);
            }
        });
        Receive<StartTimedOut>(_ => throw new TimeoutException($"the storage actor did not take the subscription service's listener within {StorageTimeout.TotalSeconds:0} s"));
        ReceiveAny(_ => Stash.Stash());
    }

    private void Ready()
    {
        // Awaited in the handler: an evaluation and the subscription it creates must be one step, or a
        // storage event handled meanwhile would miss the subscription (and its change would be lost).
        ReceiveAsync<Subscribe>(SubscribeAsync);
        Receive<AttachSubscription>(Attach);
        Receive<DetachSubscription>(detach => Detach(detach.QueryId, detach.ListenerId));
        Receive<StorageEventReceived>(OnStorageEvent);
        // Awaited in the handler: evaluations of one subscription must not overlap, and their results
        // are applied in order.
        ReceiveAsync<FlushDirty>(_ => FlushAsync());
        Receive<MaintenanceTick>(_ => Maintain());
        Receive<WatchTable>(Watch);
        Receive<UnwatchTable>(unwatch => _watchers.Unwatch(unwatch.Table, unwatch.ListenerId));
        Receive<StartTimedOut>(_ => { });
    }

    private async Task SubscribeAsync(Subscribe subscribe)
    {
        var statement = subscribe.Statement;
        var hash = QueryHash.Of(statement);
        if (_byHash.TryGetValue(hash, out var existing) && existing.Statement.Sql == statement.Sql)
        {
            subscribe.ReplyTo.Tell(new SubscribeOutcome(AttachFresh(existing, subscribe.SkipRows), null));
            return;
        }

        if (_subscriptions.Count >= _options.MaxSubscriptions)
        {
            subscribe.ReplyTo.Tell(Refused(SubscriptionErrorKind.Unavailable, $"this node already has {_subscriptions.Count} subscriptions (subscriptions.max_subscriptions)"));
            return;
        }

        var evaluation = await Task.Run(() => Evaluate(statement));
        if (evaluation.Error is { } error)
        {
            var kind = error is SqlException ? SubscriptionErrorKind.BadQuery : SubscriptionErrorKind.Unavailable;
            subscribe.ReplyTo.Tell(Refused(kind, error.Message));
            return;
        }

        var result = evaluation.Result!;
        var materialized = new MaterializedResult();
        materialized.Apply(result.Rows, RowIdentity.KeyColumns(result.Columns, result.Tables), numberChanges: false);
        var columns = result.Columns.Select(c => c.Name).ToArray();
        var subscription = new LiveSubscription(NewQueryId(), statement, hash, columns, materialized, prunedThrough: 0)
        {
            Tables = new HashSet<string>(result.Tables.Keys, StringComparer.OrdinalIgnoreCase),
            IdleSince = Now,
            LastEvaluationSeconds = evaluation.Seconds,
        };
        File.Create(new StoredSubscription(subscription.Id, statement, hash, columns, materialized.LastRowId, 0, 0, NowMs, materialized.Rows.ToList()), NowMs);
        Add(subscription);
        LogCreated(_log, subscription.Id, string.Join(", ", subscription.Tables), materialized.Rows.Count);
        subscribe.ReplyTo.Tell(new SubscribeOutcome(AttachFresh(subscription, subscribe.SkipRows), null));
    }

    private void Attach(AttachSubscription attach)
    {
        if (!_subscriptions.TryGetValue(attach.QueryId, out var subscription))
        {
            attach.ReplyTo.Tell(Refused(SubscriptionErrorKind.NotFound, $"no subscription {attach.QueryId}"));
            return;
        }

        if (attach.From is not { } from)
        {
            attach.ReplyTo.Tell(new SubscribeOutcome(AttachFresh(subscription, attach.SkipRows), null));
            return;
        }

        var last = subscription.Result.LastChangeId;
        if (from < 0 || from > last)
        {
            // A change id this subscription never handed out: the caller talks about another
            // subscription (or a restored node); a silent "latest" would hide the gap.
            attach.ReplyTo.Tell(Refused(SubscriptionErrorKind.BadQuery, $"change id {from} is not one of subscription {subscription.Id} (its latest is {last})"));
            return;
        }

        if (from < subscription.PrunedThrough)
        {
            var oldest = subscription.PrunedThrough + 1;
            attach.ReplyTo.Tell(new SubscribeOutcome(null, new SubscriptionError(
                SubscriptionErrorKind.ChangeIdExpired,
                $"changes after {from} are no longer kept; the oldest kept change id is {oldest}; subscribe again for fresh rows",
                oldest)));
            return;
        }

        var replay = File.ChangesAfter(subscription.Id, from);
        var (listener, reader) = AddListener(subscription);
        var stream = new SubscriptionStream(subscription.Id, subscription.Hash, listener.Id, subscription.Columns, [], null, replay, reader, DetachAction());
        attach.ReplyTo.Tell(new SubscribeOutcome(stream, null));
    }

    private SubscriptionStream AttachFresh(LiveSubscription subscription, bool skipRows)
    {
        var rows = skipRows ? [] : subscription.Result.Rows.Select(r => new QueryRow(r.RowId, r.Cells)).ToList();
        var (listener, reader) = AddListener(subscription);
        var endOfQuery = new SubscriptionEndOfQuery(subscription.LastEvaluationSeconds, subscription.Result.LastChangeId);
        return new SubscriptionStream(subscription.Id, subscription.Hash, listener.Id, subscription.Columns, rows, endOfQuery, [], reader, DetachAction());
    }

    private (LiveSubscription.Listener Listener, ChannelReader<SubscriptionChange> Reader) AddListener(LiveSubscription subscription)
    {
        var channel = Channel.CreateBounded<SubscriptionChange>(new BoundedChannelOptions(_options.SubscriberBuffer)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = true,
        });
        var listener = new LiveSubscription.Listener(++_nextListenerId, channel.Writer, subscription.Result.LastChangeId);
        subscription.Listeners[listener.Id] = listener;
        return (listener, channel.Reader);
    }

    private Action<SubscriptionStream> DetachAction()
    {
        var self = Self.Typed<SubscriptionCommand>();
        return stream => TellFromDisposal(self, new DetachSubscription(stream.QueryId, stream.ListenerId));
    }

    /// <summary>Disposal must not block: the message waits for room in the mailbox on a pool thread.</summary>
    private static void TellFromDisposal(ActorRef<SubscriptionCommand> self, SubscriptionCommand message) =>
        ThreadPool.UnsafeQueueUserWorkItem(static state => state.Self.Tell(state.Message), (Self: self, Message: message), preferLocal: false);

    private void Detach(string queryId, long listenerId)
    {
        if (!_subscriptions.TryGetValue(queryId, out var subscription) || !subscription.Listeners.Remove(listenerId, out var listener))
        {
            return;
        }

        listener.Writer.TryComplete();
        if (subscription.Listeners.Count == 0)
        {
            subscription.IdleSince = Now;
            File.TouchListener(subscription.Id, NowMs);
        }
    }

    private void OnStorageEvent(StorageEventReceived received)
    {
        if (!Sender.Equals(_events))
        {
            // From the listener of an earlier incarnation (still in the mailbox after a restart): this
            // incarnation evaluates everything at start anyway.
            return;
        }

        var sequence = received.Event.Sequence;
        var expected = _lastEventSequence + 1;
        _lastEventSequence = sequence;
        if (sequence != expected)
        {
            // Events were lost between the writer and here (a full mailbox): anything may have changed.
            // Keys changed meanwhile cannot be named, so watchers start over rather than miss them.
            LogEventsLost(_log, expected, sequence - 1);
            _watchers.CloseAll("changes were lost before reaching the watcher; watch again and re-read the table");
            MarkAllDirty();
        }

        switch (received.Event)
        {
            case ChangesCommitted committed:
                _watchers.OnChanges(committed.Changesets.SelectMany(c => c.Changes));
                if (_lastLocalVersion > 0 && committed.Version > _lastLocalVersion + 1)
                {
                    // A local commit's event went missing: its tables are unknown.
                    MarkAllDirty();
                }

                _lastLocalVersion = Math.Max(_lastLocalVersion, committed.Version);
                MarkDirty(committed.Changesets.SelectMany(c => c.Changes));
                break;
            case ChangesMerged merged:
                _watchers.OnChanges(merged.Result.Changed);
                MarkDirty(merged.Result.Changed);
                break;
        }
    }

    private void MarkDirty(IEnumerable<Change> changes)
    {
        if (_subscriptions.Count == 0)
        {
            return;
        }

        var tables = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var change in changes)
        {
            tables.Add(change.Table);
        }

        if (tables.Count == 0)
        {
            return;
        }

        var any = false;
        foreach (var subscription in _subscriptions.Values)
        {
            if (!subscription.Dirty && subscription.Tables.Overlaps(tables))
            {
                subscription.Dirty = true;
                any = true;
            }
        }

        if (any)
        {
            ScheduleFlush(_options.BatchWindow);
        }
    }

    private void MarkAllDirty()
    {
        foreach (var subscription in _subscriptions.Values)
        {
            subscription.Dirty = true;
        }

        if (_subscriptions.Count > 0)
        {
            ScheduleFlush(_options.BatchWindow);
        }
    }

    private void ScheduleFlush(TimeSpan delay)
    {
        // The window opens at the first change and is not pushed back by later ones, so a steady
        // stream of writes still gets an evaluation every window.
        if (!Timers.IsTimerActive(FlushTimer))
        {
            Timers.StartSingleTimer(FlushTimer, FlushDirty.Instance, delay);
        }
    }

    private async Task FlushAsync()
    {
        var dirty = _subscriptions.Values.Where(s => s.Dirty).ToList();
        if (dirty.Count == 0)
        {
            return;
        }

        foreach (var subscription in dirty)
        {
            subscription.Dirty = false;
        }

        var evaluations = new Evaluation[dirty.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, dirty.Count),
            new ParallelOptions { MaxDegreeOfParallelism = _parallelism },
            (i, _) =>
            {
                evaluations[i] = Evaluate(dirty[i].Statement);
                return ValueTask.CompletedTask;
            });

        for (var i = 0; i < dirty.Count; i++)
        {
            Refresh(dirty[i], evaluations[i]);
        }
    }

    private void Refresh(LiveSubscription subscription, Evaluation evaluation)
    {
        if (evaluation.Error is { } error)
        {
            var failures = _failures[subscription.Id] = _failures.GetValueOrDefault(subscription.Id) + 1;
            LogEvaluationFailed(_log, subscription.Id, failures, error);
            if (failures >= MaxConsecutiveFailures)
            {
                Remove(subscription, $"the subscription's query failed {failures} times in a row: {error.Message}");
                return;
            }

            subscription.Dirty = true;
            ScheduleFlush(RetryDelay);
            return;
        }

        _failures.Remove(subscription.Id);
        var result = evaluation.Result!;
        subscription.Tables = new HashSet<string>(result.Tables.Keys, StringComparer.OrdinalIgnoreCase);
        subscription.LastEvaluationSeconds = evaluation.Seconds;
        var columns = result.Columns.Select(c => c.Name).ToArray();
        var columnsChanged = !columns.SequenceEqual(subscription.Columns, StringComparer.Ordinal);
        var delta = subscription.Result.Apply(result.Rows, RowIdentity.KeyColumns(result.Columns, result.Tables));
        if (delta.IsEmpty && !columnsChanged)
        {
            return;
        }

        subscription.Columns = columns;
        // Recorded before it is sent: a change id a listener has seen survives a crash.
        File.Record(subscription.Id, delta, columns, subscription.Result.LastRowId, subscription.Result.LastChangeId, NowMs);
        Deliver(subscription, delta.Changes);
        var excess = subscription.Result.LastChangeId - subscription.PrunedThrough - _options.MaxChangeLog;
        if (excess > 0)
        {
            Prune(subscription, subscription.PrunedThrough + excess);
        }
    }

    private void Deliver(LiveSubscription subscription, IReadOnlyList<SubscriptionChange> changes)
    {
        if (changes.Count == 0 || subscription.Listeners.Count == 0)
        {
            return;
        }

        List<long>? overflowed = null;
        foreach (var listener in subscription.Listeners.Values)
        {
            foreach (var change in changes)
            {
                if (!listener.Writer.TryWrite(change))
                {
                    // Never wait for a reader: this one ends and resumes from what it got.
                    listener.Writer.TryComplete(new SubscriberTooSlowException(listener.LastDelivered));
                    (overflowed ??= []).Add(listener.Id);
                    LogListenerTooSlow(_log, subscription.Id, listener.Id, listener.LastDelivered);
                    break;
                }

                listener.LastDelivered = change.ChangeId;
            }
        }

        if (overflowed is not null)
        {
            foreach (var id in overflowed)
            {
                subscription.Listeners.Remove(id);
            }

            if (subscription.Listeners.Count == 0)
            {
                subscription.IdleSince = Now;
            }
        }
    }

    private void Maintain()
    {
        var now = Now;
        var cutoffMs = (now - _options.MaxChangeAge).ToUnixTimeMilliseconds();
        foreach (var subscription in _subscriptions.Values.ToList())
        {
            if (subscription.Listeners.Count == 0 && now - subscription.IdleSince >= _options.IdleTimeout)
            {
                LogIdleDropped(_log, subscription.Id, _options.IdleTimeout);
                Remove(subscription, "the subscription expired");
                continue;
            }

            if (File.LastChangeBefore(subscription.Id, cutoffMs) is { } old && old > subscription.PrunedThrough)
            {
                Prune(subscription, old);
            }
        }
    }

    private void Prune(LiveSubscription subscription, long through)
    {
        File.PruneThrough(subscription.Id, through);
        subscription.PrunedThrough = through;
    }

    private void Add(LiveSubscription subscription)
    {
        _subscriptions[subscription.Id] = subscription;
        _byHash[subscription.Hash] = subscription;
    }

    private void Remove(LiveSubscription subscription, string reason)
    {
        foreach (var listener in subscription.Listeners.Values)
        {
            listener.Writer.TryComplete(new ChannelClosedException(reason));
        }

        subscription.Listeners.Clear();
        _subscriptions.Remove(subscription.Id);
        _byHash.Remove(subscription.Hash);
        _failures.Remove(subscription.Id);
        File.Delete(subscription.Id);
    }

    private void Watch(WatchTable watch)
    {
        if (!_store.TryGetTable(watch.Table, out var table, out var primaryKey))
        {
            watch.ReplyTo.Tell(new WatchOutcome(null, new SubscriptionError(SubscriptionErrorKind.NotFound, $"no such replicated table: {watch.Table}")));
            return;
        }

        var self = Self.Typed<SubscriptionCommand>();
        var stream = _watchers.Watch(table, primaryKey, _options.SubscriberBuffer, s => TellFromDisposal(self, new UnwatchTable(s.Table, s.ListenerId)));
        watch.ReplyTo.Tell(new WatchOutcome(stream, null));
    }

    private void Close(string reason)
    {
        _watchers.CloseAll(reason);
        foreach (var subscription in _subscriptions.Values)
        {
            foreach (var listener in subscription.Listeners.Values)
            {
                listener.Writer.TryComplete(new ChannelClosedException($"{reason}; resume with from={listener.LastDelivered}"));
            }

            subscription.Listeners.Clear();
        }

        _subscriptions.Clear();
        _byHash.Clear();
        _file?.Dispose();
        _file = null;
    }

    private Evaluation Evaluate(Statement statement)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = _store.EvaluateLiveQuery(statement);
            return new Evaluation(result, null, Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
        catch (Exception e) when (e is SqlException or TimeoutException or ObjectDisposedException or InvalidOperationException)
        {
            return new Evaluation(null, e, Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    private string NewQueryId()
    {
        Span<byte> bytes = stackalloc byte[16];
        while (true)
        {
            _random.NextBytes(bytes);
            // Shaped as a version-4 UUID, like Corrosion's query ids.
            bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40);
            bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
            var id = new Guid(bytes).ToString();
            if (!_subscriptions.ContainsKey(id))
            {
                return id;
            }
        }
    }

    private static SubscribeOutcome Refused(SubscriptionErrorKind kind, string message) => new(null, new SubscriptionError(kind, message));

    private sealed record Evaluation(LiveQueryResult? Result, Exception? Error, double Seconds);
}
