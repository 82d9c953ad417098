using System.Diagnostics;
using System.Threading.Channels;
using Akka.Actor;
using Corrosion.Agent.Actors;
using Corrosion.Agent.Storage;
using Microsoft.Extensions.Logging;

namespace Corrosion.Agent.Subscriptions;

/// <summary>
/// Owns every live query of the node (DESIGN.md §8). A subscription is a read-only statement over
/// replicated tables with a materialised result. The primary keys of committed and merged changes go
/// to each subscription reading their table (<see cref="LiveQueryEvaluator"/>); a subscription with a
/// listener evaluates at once (no batch wait) on the read pool, off the actor, by key where its plan
/// allows (<see cref="LiveQueryPlanner"/>) and by a full run otherwise; changes arriving meanwhile are
/// gathered into its next evaluation. At most <c>max_concurrent_evaluations</c> run at once, first
/// come first served (<see cref="EvaluationScheduler"/>), so a slow query never holds up the others.
/// A subscription without listeners does not evaluate at all: its changed keys collect (bounded) and
/// are evaluated when a listener attaches. The difference is logged and sent to the listeners as
/// row-level changes. Rows, counters and the change log live in a SQLite file beside the database, so
/// subscriptions survive a restart (changes made while the node was down are found by a full run when
/// a listener comes back). A listener reads through a bounded channel; one that falls behind is
/// dropped, never waited for.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "Akka owns an actor's lifetime: the subscription file is closed in PostStop (which a restart runs too).")]
public sealed partial class SubscriptionActor : UntypedActor, IWithTimers, IWithStash
{
    private const string RetryTimerPrefix = "retry:";
    private const string MaintenanceTimer = "maintenance";
    private const string StartTimer = "start";
    private const int MaxConsecutiveFailures = 10;
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan StorageTimeout = TimeSpan.FromSeconds(30);

    // A keyed evaluation quicker than this last time may share a batch (one snapshot) with others;
    // a slower one runs alone, so it cannot hold up the events of the cheap ones.
    private static readonly TimeSpan CheapEvaluation = TimeSpan.FromMilliseconds(5);

    private readonly CrdtStore _store;

    // Made once: a method group passed per write would be a new delegate each time.
    private readonly Func<string, int> _changeableColumns;
    private readonly ActorRef<StorageCommand> _storage;
    private readonly SubscriptionOptions _options;
    private readonly string _path;
    private readonly Random _random;
    private readonly EvaluationScheduler _scheduler;
    private readonly Dictionary<string, Creation> _creating = new(StringComparer.Ordinal);
    private readonly object _incarnation = new();
    private readonly Dictionary<string, LiveSubscription> _subscriptions = new(StringComparer.Ordinal);
    private readonly TableWatchers _watchers = new();
    private readonly Dictionary<string, LiveSubscription> _byHash = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<LiveSubscription>> _byTable = new(StringComparer.OrdinalIgnoreCase);
    private readonly LiveQueryIndex _index = new();

    // Per table, the storage events that changed it (counted only while a subscription exists): a
    // sleeping subscription compares them with its own when it wakes.
    private readonly Dictionary<string, long> _tableChanges = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, int> _failures = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private SubscriptionFile? _file;
    private long _lastEventSequence;
    private long _nextListenerId;
    private long _lastLocalVersion;

    // Subscriptions or listeners were added or removed since the gauges were last published.
    private bool _countsChanged = true;

    // Rows updated in place by storage events since the last PublishInPlace, not yet recorded nor sent.
    private List<(LiveSubscription Subscription, ResultDelta Delta, IReadOnlyList<string> Columns)>? _inPlace;
    private bool _upkeepQueued;

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
        _changeableColumns = store.ChangeableColumns;
        _storage = storage;
        _options = options.Validate();
        _path = path;
        _random = random ?? new Random();
        _time = time ?? TimeProvider.System;
        _scheduler = new EvaluationScheduler(_options.MaxConcurrentEvaluations);
        _log = Context.LoggerFor<SubscriptionActor>();
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
        _file = new SubscriptionFile(_path, _log);
        var now = Now;
        foreach (var stored in _file.LoadAll())
        {
            var result = new MaterializedResult(stored.LastChangeId, stored.LastRowId, stored.Rows);
            var subscription = new LiveSubscription(stored.Id, stored.Statement, stored.Hash, stored.Columns, result, stored.PrunedThrough)
            {
                // Listeners gone with the old process get a full idle period to come back.
                // Whatever changed while the node was down is found by a full run when one does.
                IdleSince = now,
            };
            Add(subscription);
            Sleep(subscription);
        }

        // The writer tells this actor its events directly (no forwarding hop), never waiting for room
        // (a full mailbox drops them: StorageEvent is IDroppedWhenFull). An earlier incarnation left
        // the writer's list in PostStop, so this one's events are numbered from 1 again.
        // One event per group commit (Grouped), not one per transaction: the writer tells one
        // message per group, not one per transaction (its transactions are still noted one by one).
        _lastEventSequence = 0;
        _storage.Tell(new SubscribeStorageEvents(Self.Typed<StorageEvent>()) { Grouped = true }, Self);
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
    protected override void PostStop()
    {
        // Also on a restart (PreRestart runs it): the next incarnation subscribes afresh.
        _storage.Tell(new UnsubscribeStorageEvents(Self.Typed<StorageEvent>()), Self);
        Close("the subscription service stopped");
        SubscriptionMetrics.Remove(Self);
    }

    /// <inheritdoc />
    protected override bool AroundReceive(Receive receive, object message)
    {
        var handled = base.AroundReceive(receive, message);
        if (_countsChanged)
        {
            // Only when they changed: the sum visits every subscription, and most messages are writes.
            _countsChanged = false;
            SubscriptionMetrics.Publish(Self, _subscriptions.Count, _subscriptions.Values.Sum(static s => (long)s.Listeners.Count));
        }

        return handled;
    }

    /// <inheritdoc />
    protected override void OnReceive(object message) => Starting(message);

    /// <summary>Until storage has the listener: every request waits in the stash.</summary>
    private void Starting(object message)
    {
        switch (message)
        {
            case SyncState:
                Timers.Cancel(StartTimer);
                Become(Ready);
                Stash.UnstashAll();
                Timers.StartPeriodicTimer(MaintenanceTimer, MaintenanceTick.Instance, _options.MaintenanceInterval);
                if (_subscriptions.Count > 0)
                {
                    LogLoaded(_log, _subscriptions.Count, _path);
                }

                break;
            case StartTimedOut:
                throw new TimeoutException($"the storage actor did not take the subscription service's listener within {StorageTimeout.TotalSeconds:0} s");
            case StorageEvent e:
                // Nothing is evaluated before the handshake (loaded subscriptions run in full when a
                // listener comes back; new ones are created after it): only the numbering matters.
                // Events still queued for an earlier incarnation come first, under its numbering; this
                // one's start at 1 and follow on from there.
                if (e.Sequence == 1 || e.Sequence == _lastEventSequence + 1)
                {
                    _lastEventSequence = e.Sequence;
                }

                break;
            default:
                Stash.Stash();
                break;
        }
    }

    private void Ready(object message)
    {
        if (_inPlace is not null && message is not StorageEvent)
        {
            // Whatever comes next (an evaluation's result, a new listener, a request) sees the rows
            // updated in place already recorded and sent, in change-id order.
            PublishInPlaceNow();
        }

        switch (message)
        {
            case PublishInPlace:
                break;
            case FileUpkeep:
                _upkeepQueued = false;
                if (File.Upkeep())
                {
                    QueueUpkeep();
                }

                break;
            // A new subscription's first run goes off the actor; changes meanwhile are kept for it.
            case Subscribe subscribe:
                Subscribe(subscribe);
                break;
            case SubscriptionCreated created:
                OnCreated(created);
                break;
            case AttachSubscription attach:
                Attach(attach);
                break;
            case DetachSubscription detach:
                Detach(detach.QueryId, detach.ListenerId);
                break;
            case StorageEvent received:
                OnStorageEvent(received);
                break;
            case EvaluationDone done:
                OnEvaluated(done);
                break;
            case EvaluationBatchDone batchDone:
                OnBatchEvaluated(batchDone);
                break;
            case RetryEvaluation retry:
                Want(retry.QueryId);
                break;
            case GetSubscriptionInfo get:
                Info(get);
                break;
            case DropSubscription drop:
                Drop(drop);
                break;
            case ListSubscriptions list:
                list.ReplyTo.Tell(_subscriptions.Values
                    .OrderBy(s => s.Id, StringComparer.Ordinal)
                    .Select(s => SubscriptionInfo.Of(s.Id, s.Evaluator, s.Result, s.Listeners.Count, _scheduler.IsRunning(s.Id)))
                    .ToList());
                break;
            case MaintenanceTick:
                Maintain();
                break;
            case WatchTable watch:
                Watch(watch);
                break;
            case UnwatchTable unwatch:
                _watchers.Unwatch(unwatch.Table, unwatch.ListenerId);
                break;
            case StartTimedOut:
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Subscribe(Subscribe subscribe)
    {
        var statement = subscribe.Statement;
        var hash = QueryHash.Of(statement);
        if (_byHash.TryGetValue(hash, out var existing) && existing.Statement.Sql == statement.Sql)
        {
            Wake(existing);
            if (MustEvaluateFirst(existing, wantsRows: !subscribe.SkipRows))
            {
                Defer(existing, subscribe, wantsRows: !subscribe.SkipRows);
                return;
            }

            subscribe.ReplyTo.Tell(new SubscribeOutcome(AttachFresh(existing, subscribe.SkipRows, subscribe.InlineReader), null));
            return;
        }

        if (_creating.TryGetValue(hash, out var creating) && creating.Statement.Sql == statement.Sql)
        {
            creating.Requests.Add(subscribe);
            return;
        }

        if (_subscriptions.Count + _creating.Count >= _options.MaxSubscriptions)
        {
            subscribe.ReplyTo.Tell(Refused(SubscriptionErrorKind.Unavailable, $"this node already has {_subscriptions.Count + _creating.Count} subscriptions (subscriptions.max_subscriptions)"));
            return;
        }

        if (_creating.ContainsKey(hash))
        {
            // Another statement with the same hash is being created (never seen in practice): retry after it.
            subscribe.ReplyTo.Tell(Refused(SubscriptionErrorKind.Unavailable, "a subscription with the same hash is being created; try again"));
            return;
        }

        _creating[hash] = new Creation(statement, [subscribe], new ChangedKeys(LiveQueryEvaluator.DefaultMaxKeys));
        var incarnation = _incarnation;
        Task.Run(() => new SubscriptionCreated(hash, incarnation, Evaluate(statement))).PipeTo(Self);
    }

    private void OnCreated(SubscriptionCreated created)
    {
        if (!ReferenceEquals(created.Incarnation, _incarnation) || !_creating.Remove(created.Hash, out var creation))
        {
            return;
        }

        var evaluation = created.Evaluation;
        if (evaluation.Error is { } error)
        {
            var kind = error is SqlException ? SubscriptionErrorKind.BadQuery : SubscriptionErrorKind.Unavailable;
            creation.Requests.ForEach(r => r.ReplyTo.Tell(Refused(kind, error.Message)));
            return;
        }

        var statement = creation.Statement;
        var hash = created.Hash;
        var result = evaluation.Result!;
        var materialized = new MaterializedResult();
        var columns = result.Columns.Select(c => c.Name).ToArray();
        var subscription = new LiveSubscription(NewQueryId(), statement, hash, columns, materialized, prunedThrough: 0)
        {
            IdleSince = Now,
            LastEvaluationSeconds = evaluation.Seconds,
        };
        subscription.Evaluator.Initialize(result, materialized, evaluation.Seconds);
        File.Create(new StoredSubscription(subscription.Id, statement, hash, columns, materialized.LastRowId, 0, 0, NowMs, materialized.Rows.ToList()), NowMs);
        Add(subscription);
        SetTables(subscription, result.Tables.Keys);
        LogCreated(_log, subscription.Id, string.Join(", ", subscription.Tables), materialized.Rows.Count, subscription.Evaluator.Plan.Strategy, subscription.Evaluator.Plan.Reason);
        foreach (var request in creation.Requests)
        {
            request.ReplyTo.Tell(new SubscribeOutcome(AttachFresh(subscription, request.SkipRows, request.InlineReader), null));
        }

        // Changes committed while the first run was going are evaluated now (by key where possible).
        subscription.Evaluator.Note(creation.Changed);
        _scheduler.Changed(subscription.Id, subscription.Wanted && subscription.Evaluator.HasPending);
        StartEvaluations();
    }

    private void Attach(AttachSubscription attach)
    {
        if (!_subscriptions.TryGetValue(attach.QueryId, out var subscription))
        {
            attach.ReplyTo.Tell(Refused(SubscriptionErrorKind.NotFound, $"no subscription {attach.QueryId}"));
            return;
        }

        Wake(subscription);
        var wantsRows = attach.From is null && !attach.SkipRows;
        if (MustEvaluateFirst(subscription, wantsRows))
        {
            // Changes collected while nobody listened get their change ids first.
            Defer(subscription, attach, wantsRows);
            return;
        }

        ServeAttach(subscription, attach);
    }

    private void ServeAttach(LiveSubscription subscription, AttachSubscription attach)
    {
        if (attach.From is not { } from)
        {
            attach.ReplyTo.Tell(new SubscribeOutcome(AttachFresh(subscription, attach.SkipRows, attach.InlineReader), null));
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
        var (listener, reader) = AddListener(subscription, attach.InlineReader);
        var stream = new SubscriptionStream(subscription.Id, subscription.Hash, listener.Id, subscription.Columns, [], null, replay, reader, DetachAction());
        attach.ReplyTo.Tell(new SubscribeOutcome(stream, null));
    }

    private SubscriptionStream AttachFresh(LiveSubscription subscription, bool skipRows, bool inlineReader)
    {
        var rows = skipRows ? [] : subscription.Result.Rows.Select(r => new QueryRow(r.RowId, r.Cells)).ToList();
        var (listener, reader) = AddListener(subscription, inlineReader);
        var endOfQuery = new SubscriptionEndOfQuery(subscription.LastEvaluationSeconds, subscription.Result.LastChangeId);
        return new SubscriptionStream(subscription.Id, subscription.Hash, listener.Id, subscription.Columns, rows, endOfQuery, [], reader, DetachAction());
    }

    private (LiveSubscription.Listener Listener, ChannelReader<SubscriptionChange> Reader) AddListener(LiveSubscription subscription, bool inlineReader)
    {
        var queue = new ListenerQueue(_options.SubscriberBuffer, inlineReader);
        var listener = new LiveSubscription.Listener(++_nextListenerId, queue, subscription.Result.LastChangeId);
        subscription.Listeners[listener.Id] = listener;
        _countsChanged = true;
        return (listener, queue);
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

        _countsChanged = true;
        listener.Queue.TryComplete();
        if (subscription.Listeners.Count == 0)
        {
            subscription.IdleSince = Now;
            File.TouchListener(subscription.Id, NowMs);
            Sleep(subscription);
        }
    }

    private void OnStorageEvent(StorageEvent received)
    {
        var sequence = received.Sequence;
        var expected = _lastEventSequence + 1;
        _lastEventSequence = sequence;
        if (sequence != expected)
        {
            // Events were lost between the writer and here (a full mailbox): anything may have changed.
            // Keys changed meanwhile cannot be named, so watchers start over rather than miss them.
            LogEventsLost(_log, expected, sequence);
            _watchers.CloseAll("changes were lost before reaching the watcher; watch again and re-read the table");
            NoteEverything(sequence > expected
                ? $"storage events {expected} to {sequence - 1} were lost on the way"
                : $"storage events were lost on the way (event {sequence} came where {expected} was expected)");
        }

        switch (received)
        {
            case ChangesCommitted committed:
                _watchers.OnChanges(committed.Changesets.SelectMany(c => c.Changes));
                // A group commit's event covers its versions FirstVersion to Version.
                if (_lastLocalVersion > 0 && committed.FirstVersion > _lastLocalVersion + 1)
                {
                    // A local commit's event went missing: its tables are unknown.
                    NoteEverything($"the event of local version {_lastLocalVersion + 1} went missing");
                }

                _lastLocalVersion = Math.Max(_lastLocalVersion, committed.Version);
                NoteCommitted(committed.Changesets);
                break;
            case ChangesMerged merged:
                _watchers.OnChanges(merged.Result.Changed);
                NoteChanges(merged.Result.Changed, () => ChangedRows.OfMerge(merged.Result, _store.ChangeableColumns, _store.KeysSpeltAlike));
                break;
        }
    }

    /// <summary>
    /// Notes a commit's changes transaction by transaction (a group commit's chunks come in version
    /// order, each naming its version), so each transaction's rows make their own events, as when
    /// the writer told one event per transaction.
    /// </summary>
    private void NoteCommitted(IReadOnlyList<ChangesetFull> changesets)
    {
        var start = 0;
        while (start < changesets.Count)
        {
            var end = start + 1;
            while (end < changesets.Count && changesets[end].Version == changesets[start].Version)
            {
                end++;
            }

            IReadOnlyList<Change> changes;
            if (end == start + 1)
            {
                changes = changesets[start].Changes;
            }
            else
            {
                var joined = new List<Change>();
                for (var i = start; i < end; i++)
                {
                    joined.AddRange(changesets[i].Changes);
                }

                changes = joined;
            }

            NoteChanges(changes, () => ChangedRows.Of(changes, _changeableColumns));
            start = end;
        }
    }

    /// <summary>
    /// Gives changed keys to the subscriptions reading their tables and starts the wanted ones. A
    /// local commit also tells which columns of each row changed (its changes are read back from the
    /// database, keys as stored), so a subscription can leave out rows its filter cannot have let in;
    /// so does a merge, for the rows it did not create, of tables whose equal keys are spelt alike.
    /// <paramref name="rows"/> makes them, only when a subscription exists.
    /// </summary>
    private void NoteChanges(IReadOnlyList<Change> changes, Func<ChangedRows> rows)
    {
        foreach (var creation in _creating.Values)
        {
            creation.Changed.AddAll(changes, _ => true);
        }

        if (_subscriptions.Count == 0 || changes.Count == 0)
        {
            return;
        }

        // Keys are encoded once here, not once per subscription; only the subscriptions the changed
        // rows can concern are touched (the index: a row whose changes name only columns a settled
        // query returns as they are concerns it only when its result holds the row).
        var changed = rows();
        foreach (var table in changed.Rows.Keys)
        {
            System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_tableChanges, table, out _)++;
        }

        var affected = _index.Candidates(changed);
        if (affected.Count == 0)
        {
            return;
        }

        List<(LiveSubscription Subscription, ResultDelta Delta, IReadOnlyList<string> Columns)>? inPlace = null;
        foreach (var subscription in affected)
        {
            // Without a listener only the keys are kept (bounded): nothing is evaluated. With one, a
            // row of the result whose change touched only its result columns is updated from the
            // commit's values at once, without a read.
            if (subscription.Wanted && subscription.Evaluator.NoteInPlace(changed, subscription.Result) is { } delta)
            {
                if (!delta.IsEmpty)
                {
                    (inPlace ??= []).Add((subscription, delta, subscription.Columns));
                }
            }
            else if (!subscription.Wanted)
            {
                // Left without a listener some other way than a detach (a refused attach): noted once, then asleep.
                subscription.Evaluator.Note(changed, subscription.Result);
                Sleep(subscription);
            }

            if (subscription.Evaluator.HasPending)
            {
                _scheduler.Changed(subscription.Id, subscription.Wanted);
            }

            _index.Settle(subscription);
        }

        if (inPlace is not null)
        {
            if (_inPlace is null)
            {
                _inPlace = inPlace;
                Self.Tell(PublishInPlace.Instance);
            }
            else
            {
                _inPlace.AddRange(inPlace);
            }
        }

        StartEvaluations();
    }

    /// <summary>
    /// A subscription nobody listens to (nor waits for) stops being visited by writes: it leaves the
    /// index, keeping what was pending, and remembers how many changes each of its tables had seen.
    /// </summary>
    private void Sleep(LiveSubscription subscription)
    {
        if (subscription.Wanted || subscription.SleepingSince is not null)
        {
            return;
        }

        var counts = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
        foreach (var table in subscription.Tables)
        {
            counts[table] = _tableChanges.GetValueOrDefault(table);
        }

        subscription.SleepingSince = counts;
        _index.Remove(subscription);
    }

    /// <summary>
    /// Before a listener attaches: a sleeping subscription rejoins the index and, when a table it
    /// reads changed meanwhile (or its tables are not known yet), re-runs its query once, whose
    /// difference from the kept rows is what it missed.
    /// </summary>
    private void Wake(LiveSubscription subscription)
    {
        if (subscription.SleepingSince is not { } counts)
        {
            return;
        }

        subscription.SleepingSince = null;
        _index.Add(subscription);
        var changed = subscription.Tables.Count == 0;
        foreach (var table in subscription.Tables)
        {
            changed |= !counts.TryGetValue(table, out var then) || then != _tableChanges.GetValueOrDefault(table);
        }

        if (changed)
        {
            subscription.Evaluator.NoteEverything("its tables changed while no listener was attached");
        }
    }

    private void NoteEverything(string reason)
    {
        foreach (var creation in _creating.Values)
        {
            creation.Changed.MarkEverything(reason);
        }

        foreach (var subscription in _subscriptions.Values)
        {
            subscription.Evaluator.NoteEverything(reason);
            _scheduler.Changed(subscription.Id, subscription.Wanted);
        }

        StartEvaluations();
    }

    /// <summary>
    /// A new listener must wait when changes collected without a listener have no change ids yet, or
    /// when it wants the rows of an ordered query that keyed evaluations left out of order.
    /// </summary>
    private static bool MustEvaluateFirst(LiveSubscription subscription, bool wantsRows) =>
        subscription.Evaluator.HasPending || (wantsRows && subscription.Result.OrderStale);

    private void Defer(LiveSubscription subscription, SubscriptionCommand request, bool wantsRows)
    {
        if (wantsRows && subscription.Result.OrderStale)
        {
            subscription.Evaluator.NoteEverything("a new listener needs the rows in the query's order");
        }

        subscription.Waiting.Add(request);
        Want(subscription.Id);
    }

    private void Want(string queryId)
    {
        if (_subscriptions.TryGetValue(queryId, out var subscription) && subscription.Wanted && subscription.Evaluator.HasPending)
        {
            _scheduler.Want(queryId);
            StartEvaluations();
        }
    }

    /// <summary>
    /// Starts what the scheduler allows, each slot's reads on a pool thread: a subscription whose next
    /// evaluation is by key and was quick last time joins the batch that reads one snapshot on one
    /// connection with prepared statements and reports back in one <see cref="EvaluationBatchDone"/>;
    /// any other runs alone and reports with <see cref="EvaluationDone"/>.
    /// </summary>
    private void StartEvaluations()
    {
        foreach (var group in _scheduler.StartBatches(id => _subscriptions[id].Evaluator.IsCheap(CheapEvaluation)))
        {
            var works = new List<(string Id, EvaluationWork Work)>(group.Count);
            foreach (var id in group)
            {
                var subscription = _subscriptions[id];
                works.Add((id, subscription.Evaluator.Take(subscription.Result)));
            }

            var incarnation = _incarnation;
            var store = _store;
            if (works.Count == 1)
            {
                var (id, work) = works[0];
                Task.Run(() => RunOne(store, id, work, incarnation)).PipeTo(Self);
            }
            else
            {
                Task.Run(() => new EvaluationBatchDone(incarnation, RunBatch(store, works, incarnation))).PipeTo(Self);
            }
        }
    }

    private static EvaluationDone RunOne(CrdtStore store, string id, EvaluationWork work, object incarnation)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var outcome = store.ReadLiveQueries(reader => LiveQueryEvaluator.Run(work, reader));
            SubscriptionMetrics.Evaluated(outcome.Seconds, ok: true);
            return new EvaluationDone(id, incarnation, outcome, null);
        }
        catch (Exception e) when (e is SqlException or TimeoutException or ObjectDisposedException or InvalidOperationException)
        {
            SubscriptionMetrics.Evaluated(Stopwatch.GetElapsedTime(started).TotalSeconds, ok: false);
            return new EvaluationDone(id, incarnation, null, e);
        }
    }

    /// <summary>Runs the works on one snapshot; each gets its own outcome or error.</summary>
    private static List<EvaluationDone> RunBatch(CrdtStore store, List<(string Id, EvaluationWork Work)> works, object incarnation)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            return store.ReadLiveQueries(reader =>
            {
                var results = new List<EvaluationDone>(works.Count);
                foreach (var (id, work) in works)
                {
                    var one = Stopwatch.GetTimestamp();
                    try
                    {
                        var outcome = LiveQueryEvaluator.Run(work, reader);
                        SubscriptionMetrics.Evaluated(outcome.Seconds, ok: true);
                        results.Add(new EvaluationDone(id, incarnation, outcome, null));
                    }
                    catch (Exception e) when (e is SqlException or InvalidOperationException)
                    {
                        SubscriptionMetrics.Evaluated(Stopwatch.GetElapsedTime(one).TotalSeconds, ok: false);
                        results.Add(new EvaluationDone(id, incarnation, null, e));
                    }
                }

                return results;
            });
        }
        catch (Exception e) when (e is SqlException or TimeoutException or ObjectDisposedException or InvalidOperationException)
        {
            // No snapshot (no free connection, the store closed): every work of the batch failed.
            SubscriptionMetrics.Evaluated(Stopwatch.GetElapsedTime(started).TotalSeconds, ok: false);
            return works.Select(w => new EvaluationDone(w.Id, incarnation, null, e)).ToList();
        }
    }

    private void OnEvaluated(EvaluationDone done)
    {
        CompleteAll([done]);
        StartEvaluations();
    }

    private void OnBatchEvaluated(EvaluationBatchDone batch)
    {
        if (!ReferenceEquals(batch.Incarnation, _incarnation))
        {
            return;
        }

        CompleteAll(batch.Results);
        StartEvaluations();
    }

    /// <summary>
    /// Applies finished evaluations: each is merged into its result; the differences of all of them
    /// are recorded in the subscription file in one transaction, and only then sent to the listeners
    /// (a change id a listener has seen survives a crash); each is scheduled again and its waiting
    /// requests served. A failure retries later.
    /// </summary>
    private void CompleteAll(IReadOnlyList<EvaluationDone> results)
    {
        var merged = new List<(LiveSubscription Subscription, ResultDelta Delta, IReadOnlyList<string> Columns)>(results.Count);
        var settled = new List<LiveSubscription>(results.Count);
        foreach (var done in results)
        {
            if (Settle(done) is not { } one)
            {
                continue;
            }

            settled.Add(one.Subscription);
            merged.Add(one);
        }

        Publish(merged);
        foreach (var subscription in settled)
        {
            _scheduler.Finished(subscription.Id, again: subscription.Wanted && subscription.Evaluator.HasPending);
            ServeWaiting(subscription);
        }
    }

    /// <summary>Records and sends the rows updated in place since the last time.</summary>
    private void PublishInPlaceNow()
    {
        var inPlace = _inPlace!;
        _inPlace = null;
        Publish(inPlace);
    }

    /// <summary>
    /// Records the differences merged into the results (and new column names) in the subscription
    /// file in one transaction, and only then sends them to the listeners: a change id a listener
    /// has seen survives a crash.
    /// </summary>
    private void Publish(List<(LiveSubscription Subscription, ResultDelta Delta, IReadOnlyList<string> Columns)> merged)
    {
        var published = new List<(LiveSubscription Subscription, ResultDelta Delta)>(merged.Count);
        var recordings = new List<Recording>(merged.Count);
        foreach (var (subscription, delta, columns) in merged)
        {
            var columnsChanged = !columns.SequenceEqual(subscription.Columns, StringComparer.Ordinal);
            if (delta.IsEmpty && !columnsChanged)
            {
                continue;
            }

            subscription.Columns = columns;
            var excess = subscription.Result.LastChangeId - subscription.PrunedThrough - _options.MaxChangeLog;
            var pruneThrough = excess > 0 ? subscription.PrunedThrough + excess : 0;
            var counters = columnsChanged || subscription.Result.LastRowId != subscription.RecordedLastRowId;
            recordings.Add(new Recording(subscription.Id, delta, columns, subscription.Result.LastRowId, subscription.Result.LastChangeId, pruneThrough, counters));
            published.Add((subscription, delta));
        }

        File.RecordAll(recordings, NowMs);
        for (var i = 0; i < published.Count; i++)
        {
            var (subscription, delta) = published[i];
            if (recordings[i].PruneThrough > 0)
            {
                subscription.PrunedThrough = recordings[i].PruneThrough;
            }

            subscription.RecordedLastRowId = recordings[i].LastRowId;

            SubscriptionMetrics.Produced(delta.Changes);
            Deliver(subscription, delta.Changes);
        }

        if (File.UpkeepDue)
        {
            QueueUpkeep();
        }
    }

    /// <summary>
    /// The file's bulk move and folds run after the changes just recorded are sent, one piece per
    /// message, behind whatever the mailbox already holds (the next storage events first).
    /// </summary>
    private void QueueUpkeep()
    {
        if (!_upkeepQueued)
        {
            _upkeepQueued = true;
            Self.Tell(FileUpkeep.Instance);
        }
    }

    /// <summary>
    /// Merges one finished evaluation into its subscription's result and returns the subscription with
    /// the difference and its columns now; null when the result is to be ignored or the evaluation
    /// failed (then it retries later, or the subscription is removed).
    /// </summary>
    private (LiveSubscription Subscription, ResultDelta Delta, IReadOnlyList<string> Columns)? Settle(EvaluationDone done)
    {
        if (!ReferenceEquals(done.Incarnation, _incarnation) || !_scheduler.IsRunning(done.QueryId))
        {
            // Started by an earlier incarnation, or the subscription was removed meanwhile.
            return null;
        }

        var subscription = _subscriptions[done.QueryId];
        if (done.Error is { } error)
        {
            var failures = _failures[subscription.Id] = _failures.GetValueOrDefault(subscription.Id) + 1;
            LogEvaluationFailed(_log, subscription.Id, failures, error);
            if (failures >= MaxConsecutiveFailures)
            {
                Remove(subscription, $"the subscription's query failed {failures} times in a row: {error.Message}");
                return null;
            }

            subscription.Evaluator.NoteEverything("the previous evaluation failed");
            _scheduler.Finished(subscription.Id, again: false);
            Timers.StartSingleTimer(RetryTimerPrefix + subscription.Id, new RetryEvaluation(subscription.Id), RetryDelay);
            return null;
        }

        _failures.Remove(subscription.Id);
        var outcome = done.Outcome!;
        var columns = subscription.Columns;
        if (outcome.Kind != EvaluationKind.Skipped)
        {
            subscription.LastEvaluationSeconds = outcome.Seconds;
        }

        if (outcome.Full is { } full)
        {
            SetTables(subscription, full.Tables.Keys);
            columns = full.Columns.Select(c => c.Name).ToArray();
        }

        return (subscription, subscription.Evaluator.Complete(outcome, subscription.Result), columns);
    }

    /// <summary>Answers the requests that waited for this evaluation (those wanting ordered rows keep waiting for the full run).</summary>
    private void ServeWaiting(LiveSubscription subscription)
    {
        if (subscription.Waiting.Count == 0)
        {
            return;
        }

        var waiting = subscription.Waiting.ToList();
        subscription.Waiting.Clear();
        foreach (var request in waiting)
        {
            var wantsRows = request switch
            {
                Subscribe subscribe => !subscribe.SkipRows,
                AttachSubscription attach => attach.From is null && !attach.SkipRows,
                _ => false,
            };
            if (wantsRows && subscription.Result.OrderStale)
            {
                subscription.Waiting.Add(request);
                continue;
            }

            switch (request)
            {
                case Subscribe subscribe:
                    subscribe.ReplyTo.Tell(new SubscribeOutcome(AttachFresh(subscription, subscribe.SkipRows, subscribe.InlineReader), null));
                    break;
                case AttachSubscription attach:
                    // Served now: anything changed since arrives as events.
                    ServeAttach(subscription, attach);
                    break;
            }
        }

        if (subscription.Waiting.Count > 0)
        {
            Want(subscription.Id);
        }
    }

    private void Info(GetSubscriptionInfo request)
    {
        if (!_subscriptions.TryGetValue(request.QueryId, out var subscription))
        {
            request.ReplyTo.Tell(new SubscriptionInfoOutcome(null, new SubscriptionError(SubscriptionErrorKind.NotFound, $"no subscription {request.QueryId}")));
            return;
        }

        var info = SubscriptionInfo.Of(subscription.Id, subscription.Evaluator, subscription.Result, subscription.Listeners.Count, _scheduler.IsRunning(subscription.Id));
        request.ReplyTo.Tell(new SubscriptionInfoOutcome(info, null));
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
            var full = false;
            foreach (var change in changes)
            {
                if (!listener.Queue.TryAdd(change))
                {
                    full = true;
                    break;
                }

                listener.LastDelivered = change.ChangeId;
            }

            if (full)
            {
                // Never wait for a reader: this one ends and resumes from what it got.
                listener.Queue.TryComplete(new SubscriberTooSlowException(listener.LastDelivered));
                (overflowed ??= []).Add(listener.Id);
                LogListenerTooSlow(_log, subscription.Id, listener.Id, listener.LastDelivered);
            }
            else
            {
                // Once per delivery, not per change: the reader takes the burst at once (an HTTP
                // stream flushes it once). An inline reader runs here, on this thread.
                listener.Queue.Wake();
            }
        }

        if (overflowed is not null)
        {
            foreach (var id in overflowed)
            {
                subscription.Listeners.Remove(id);
                _countsChanged = true;
            }

            if (subscription.Listeners.Count == 0)
            {
                subscription.IdleSince = Now;
                Sleep(subscription);
            }
        }
    }

    private void Drop(DropSubscription drop)
    {
        if (!_subscriptions.TryGetValue(drop.QueryId, out var subscription))
        {
            drop.ReplyTo.Tell(false);
            return;
        }

        Remove(subscription, "the subscription was dropped");
        drop.ReplyTo.Tell(true);
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
        _countsChanged = true;
        _index.Add(subscription);
    }

    /// <summary>Sets the tables <paramref name="subscription"/> reads, keeping the table index in step.</summary>
    private void SetTables(LiveSubscription subscription, IEnumerable<string> tables)
    {
        foreach (var table in subscription.Tables)
        {
            if (_byTable.TryGetValue(table, out var readers) && readers.Remove(subscription) && readers.Count == 0)
            {
                _byTable.Remove(table);
            }
        }

        subscription.Tables = new HashSet<string>(tables, StringComparer.OrdinalIgnoreCase);
        foreach (var table in subscription.Tables)
        {
            if (!_byTable.TryGetValue(table, out var readers))
            {
                readers = [];
                _byTable[table] = readers;
            }

            readers.Add(subscription);
        }
    }

    private void Remove(LiveSubscription subscription, string reason)
    {
        foreach (var listener in subscription.Listeners.Values)
        {
            listener.Queue.TryComplete(new ChannelClosedException(reason));
        }

        subscription.Listeners.Clear();
        _countsChanged = true;
        AnswerWaiting(subscription, reason);
        _subscriptions.Remove(subscription.Id);
        _byHash.Remove(subscription.Hash);
        _index.Remove(subscription);
        SetTables(subscription, []);
        _failures.Remove(subscription.Id);
        _scheduler.Remove(subscription.Id);
        Timers.Cancel(RetryTimerPrefix + subscription.Id);
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
        // Rows updated in place but not recorded were sent to no one: the file keeps the state before them.
        _inPlace = null;
        _watchers.CloseAll(reason);
        foreach (var subscription in _subscriptions.Values)
        {
            foreach (var listener in subscription.Listeners.Values)
            {
                listener.Queue.TryComplete(new ChannelClosedException($"{reason}; resume with from={listener.LastDelivered}"));
            }

            subscription.Listeners.Clear();
            _countsChanged = true;
            AnswerWaiting(subscription, reason);
        }

        foreach (var creation in _creating.Values)
        {
            creation.Requests.ForEach(r => r.ReplyTo.Tell(Refused(SubscriptionErrorKind.Unavailable, reason)));
        }

        _creating.Clear();
        _subscriptions.Clear();
        _byHash.Clear();
        _byTable.Clear();
        _index.Clear();
        _file?.Dispose();
        _file = null;
    }

    /// <summary>Requests waiting for an evaluation that will not come get an error.</summary>
    private static void AnswerWaiting(LiveSubscription subscription, string reason)
    {
        foreach (var request in subscription.Waiting)
        {
            var refused = Refused(SubscriptionErrorKind.Unavailable, reason);
            switch (request)
            {
                case Subscribe subscribe:
                    subscribe.ReplyTo.Tell(refused);
                    break;
                case AttachSubscription attach:
                    attach.ReplyTo.Tell(refused);
                    break;
            }
        }

        subscription.Waiting.Clear();
    }

    private Evaluation Evaluate(Statement statement)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = _store.EvaluateLiveQuery(statement);
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            SubscriptionMetrics.Evaluated(seconds, ok: true);
            return new Evaluation(result, null, seconds);
        }
        catch (Exception e) when (e is SqlException or TimeoutException or ObjectDisposedException or InvalidOperationException)
        {
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            SubscriptionMetrics.Evaluated(seconds, ok: false);
            return new Evaluation(null, e, seconds);
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

    /// <summary>A subscription whose first run is going: who waits for it, and what changed meanwhile.</summary>
    private sealed record Creation(Statement Statement, List<Subscribe> Requests, ChangedKeys Changed);

    /// <summary>A new subscription's first run finished (piped back).</summary>
    private sealed record SubscriptionCreated(string Hash, object Incarnation, Evaluation Evaluation);
}
