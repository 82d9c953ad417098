using System.Diagnostics;
using Akka.Actor;
using Corrosion.Agent.Actors;
using Corrosion.Agent.Telemetry;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Corrosion.Agent.Storage;

/// <summary>
/// The only writer to the database: runs local transactions and merges remote changes one at a
/// time, and tells listeners what changed. Reads do not come here; they use the store's read pool so
/// they never wait behind a merge.
/// </summary>
/// <remarks>
/// Group commit: write transactions waiting in the mailbox together share one SQLite commit (at most
/// <c>db.group_commit_max</c>), each under its own SAVEPOINT (<see cref="CrdtStore.ExecuteGroup"/>): one
/// that fails rolls back alone and gets its own error, each gets its own version, and none is answered
/// or published before the shared commit. A transaction is put aside and a flush note sent to the
/// actor itself; transactions already queued behind it join before the note arrives, so an empty
/// mailbox means a group of one, with no wait. Any other message first commits what is put aside, so
/// the order of everything the actor does is the mailbox's order.
/// </remarks>
public sealed partial class StorageActor : UntypedActor, IWithTimers
{
    /// <summary>Default of <c>db.group_commit_max</c>.</summary>
    public const int DefaultGroupCommitMax = 64;

    private readonly CrdtStore _store;
    private readonly StorageListeners _listeners;
    private readonly NodeTelemetry? _telemetry;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly int _groupCommitMax;
    private readonly List<ExecuteTransaction> _group = [];
    private bool _flushNoted;
    private bool _compactionArmed;

    /// <summary>The pause between compaction steps while a pass has more to do and finds cleared versions: a step holds the writer ~1 ms at most, so a transaction waits no longer behind it (Akka's scheduler ticks every 10 ms, so a shorter pause would not be kept).</summary>
    internal static readonly TimeSpan CompactionBusyPause = TimeSpan.FromMilliseconds(10);

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Creates the actor over a store the node owns (use <see cref="Props"/>).</summary>
    /// <param name="store">The store (a restart keeps it).</param>
    /// <param name="listeners">
    /// The event listeners, owned by the parent so that they outlive a restart of this actor; null
    /// keeps them in this instance.
    /// </param>
    /// <param name="groupCommitMax">Most queued transactions sharing one commit; 1 commits each alone.</param>
    /// <param name="telemetry">The node's live figures (gaps, apply queue, lag); null records none.</param>
    /// <param name="time">The clock replication lag is measured with (against the origin's commit time).</param>
    public StorageActor(CrdtStore store, StorageListeners? listeners = null, int groupCommitMax = DefaultGroupCommitMax, NodeTelemetry? telemetry = null, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(groupCommitMax, 1);
        _store = store;
        _listeners = listeners ?? new StorageListeners();
        _telemetry = telemetry;
        _time = time ?? TimeProvider.System;
        _groupCommitMax = groupCommitMax;
        _log = Context.LoggerFor<StorageActor>();
    }

    /// <summary>The writer's props, with its bounded mailbox (<see cref="NodeMailboxes.Storage"/>: senders wait).</summary>
    /// <param name="store">The store.</param>
    /// <param name="listeners">Listeners owned by the parent (see the constructor).</param>
    /// <param name="groupCommitMax">Most queued transactions sharing one commit (<c>db.group_commit_max</c>).</param>
    /// <param name="telemetry">The node's live figures; null records none.</param>
    /// <param name="time">The clock for replication lag; null for the system clock.</param>
    /// <returns>The props.</returns>
    public static Props Props(CrdtStore store, StorageListeners? listeners = null, int groupCommitMax = DefaultGroupCommitMax, NodeTelemetry? telemetry = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentOutOfRangeException.ThrowIfLessThan(groupCommitMax, 1);
        return Akka.Actor.Props.Create(() => new StorageActor(store, listeners, groupCommitMax, telemetry, time)).WithMailbox(NodeMailboxes.Storage);
    }

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case ExecuteTransaction execute:
                Enqueue(execute);
                break;
            case FlushGroup:
                _flushNoted = false;
                Flush();
                break;
            case ApplyChangesets apply:
                Apply(apply);
                break;
            case ReadChanges read:
                read.ReplyTo.Tell(_store.ChangesFor(read.Actor, read.Versions, read.MaxChanges));
                break;
            case ReadSyncState state:
                state.ReplyTo.Tell(_store.GetSyncState());
                break;
            case SubscribeStorageEvents subscribe:
                _listeners.Add(subscribe.Listener, subscribe.Grouped);
                Context.Watch(subscribe.Listener.Untyped);
                break;
            case UnsubscribeStorageEvents unsubscribe:
                if (_listeners.Remove(unsubscribe.Listener.Untyped))
                {
                    Context.Unwatch(unsubscribe.Listener.Untyped);
                }

                break;
            case ReloadSchema reload:
                OnReloadSchema(reload);
                break;
            case ReconcileGaps reconcile:
                OnReconcileGaps(reconcile);
                break;
            case SaveMembers save:
                SaveMembers(save);
                break;
            case LoadMembers load:
                load.ReplyTo.Tell(_store.LoadMembers());
                break;
            case ReleaseStorageMemory release:
                release.ReplyTo.Tell(_store.ReleaseMemory());
                break;
            case Terminated terminated:
                _listeners.Remove(terminated.ActorRef);
                break;
            case CompactVersions:
                Compact();
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void OnReloadSchema(ReloadSchema reload)
    {
        try
        {
            var (steps, tables) = _store.ReloadSchema();
            reload.ReplyTo.Tell(new SchemaReloadOutcome(steps, tables, null));
        }
        catch (SchemaException e)
        {
            reload.ReplyTo.Tell(new SchemaReloadOutcome([], _store.Tables, e.Message));
        }
    }

    private void OnReconcileGaps(ReconcileGaps reconcile)
    {
        var (before, after, needs) = _store.ReconcileGaps();
        _telemetry?.SetGaps(after);
        reconcile.ReplyTo.Tell(new GapsReconciled(
            before,
            after,
            needs.ToDictionary(n => n.Key.ToString(), n => (IReadOnlyList<string>)n.Value.Select(r => $"{r.Start}-{r.End}").ToList())));
    }

    /// <inheritdoc />
    protected override bool AroundReceive(Akka.Actor.Receive receive, object message)
    {
        if (_group.Count > 0 && message is not ExecuteTransaction and not FlushGroup)
        {
            // Whatever came after the transactions put aside sees them committed and published.
            Flush();
        }

        var handled = base.AroundReceive(receive, message);
        // Whatever was written (a transaction, a group, a merge) may have cleared versions: a compaction pass follows.
        ArmCompaction(_store.Options.CompactionInterval);
        return handled;
    }

    /// <summary>Schedules the next compaction step after <paramref name="delay"/> unless one is scheduled, compaction is off, or there is nothing to look at.</summary>
    private void ArmCompaction(TimeSpan delay)
    {
        if (_compactionArmed || _store.Options.CompactionInterval <= TimeSpan.Zero || !_store.CompactionPending)
        {
            return;
        }

        _compactionArmed = true;
        Timers.StartSingleTimer(CompactVersions.Instance, CompactVersions.Instance, delay);
    }

    /// <summary>One bounded compaction step; the next comes soon while the pass has more and finds some, else after the next write.</summary>
    private void Compact()
    {
        _compactionArmed = false;
        try
        {
            var step = _store.CompactStep(_store.Options.CompactionBatch, CrdtStore.CompactionStepTime);
            StorageMetrics.Compacted(step.Compacted);
            if (step.More)
            {
                // Soon while steps find cleared versions (a writer that overwrites constantly is kept up with); an interval
                // apart through versions that are still live (the candidates that kept a cell, the one walk of a database
                // that was not closed cleanly: ~0.1 % of the writer, not ~10 %).
                var interval = _store.Options.CompactionInterval;
                ArmCompaction(step.Compacted > 0 && CompactionBusyPause < interval ? CompactionBusyPause : interval);
            }
        }
        catch (Exception e) when (e is SqlException or SqliteException)
        {
            // Compaction only saves space: a failed step is rolled back and the pass starts over after the next write.
            LogCompactionFailed(_log, e);
        }
    }

    /// <inheritdoc />
    protected override void PreRestart(Exception reason, object message)
    {
        // The failure left these unanswered (nothing of theirs was committed): say so rather than let them time out.
        foreach (var tx in _group)
        {
            tx.Reply(new TransactionOutcome(null, $"the writer failed and restarted ({reason.Message}); the transaction was not committed"));
        }

        _group.Clear();
        base.PreRestart(reason, message);
    }

    /// <inheritdoc />
    protected override void PreStart()
    {
        _telemetry?.SetGaps(_store.GapCount());
        // At start: the candidates the last process saved, or the walk when it did not close cleanly, or the orphan sweep.
        ArmCompaction(_store.Options.CompactionInterval);
        // After a restart, watch the listeners the previous incarnation had.
        foreach (var listener in _listeners.All)
        {
            Context.Watch(listener.Untyped);
        }
    }

    /// <summary>Puts a transaction aside for the next group commit (one with another timeout first commits the group).</summary>
    private void Enqueue(ExecuteTransaction tx)
    {
        if (_groupCommitMax == 1)
        {
            Execute(tx);
            return;
        }

        if (_group.Count > 0 && _group[0].Timeout != tx.Timeout)
        {
            Flush();
        }

        _group.Add(tx);
        if (_group.Count >= _groupCommitMax)
        {
            Flush();
        }
        else if (!_flushNoted)
        {
            _flushNoted = true;
            if (ThreadPool.PendingWorkItemCount > 0)
            {
                // Work is queued on the thread pool (under concurrent load: requests being read and
                // parsed, whose transactions are on their way here): the note goes behind that work,
                // so the transactions it produces join this group rather than each committing alone.
                ThreadPool.UnsafeQueueUserWorkItem(static self => self.Tell(FlushGroup.Instance, ActorRefs.NoSender), Self, preferLocal: false);
            }
            else
            {
                // Nothing else is running: commit as soon as the transactions already queued have joined.
                Self.Tell(FlushGroup.Instance);
            }
        }
    }

    /// <summary>Commits what is put aside: alone when it is one transaction, else as one group.</summary>
    private void Flush()
    {
        if (_group.Count == 0)
        {
            return;
        }

        var group = _group.ToArray();
        _group.Clear();
        if (group.Length == 1)
        {
            Execute(group[0]);
            return;
        }

        IReadOnlyList<GroupedTransaction> outcomes;
        // One commit span for the group, in the first transaction's trace and linked to the others'.
        // The links are made only when someone listens to the source (they were built for every group before).
        using var commit = CorrosionTelemetry.Source.HasListeners()
            ? CorrosionTelemetry.Source.StartActivity("corrosion.storage.commit", ActivityKind.Internal, group[0].Trace, links: Links(group))
            : null;
        commit?.SetTag("corrosion.group_size", group.Length);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var statements = new IReadOnlyList<Statement>[group.Length];
            for (var i = 0; i < group.Length; i++)
            {
                statements[i] = group[i].Statements;
            }

            outcomes = _store.ExecuteGroup(statements, group[0].Timeout);
        }
        catch (Exception e)
        {
            // The writer restarts; nothing of the group was committed.
            foreach (var tx in group)
            {
                tx.Reply(new TransactionOutcome(null, $"the writer failed ({e.Message}); the transaction was not committed"));
            }

            throw;
        }

        if (AnyWholeGroupFailed(outcomes))
        {
            // The shared transaction was lost as a whole (a failed commit, or a timeout that made
            // SQLite roll everything back): nothing was committed; each one gets its own chance alone.
            LogGroupFailed(_log, group.Length, outcomes[0].Error?.Message);
            foreach (var tx in group)
            {
                Execute(tx);
            }

            return;
        }

        // Committed: published before any caller is answered (one event per transaction, or one for the
        // group's versions with its chunks in version order to the listeners that take that), then each
        // caller's outcome.
        var committed = 0;
        var perTransaction = new List<ChangesCommitted>(outcomes.Count);
        var trace = commit?.Context ?? default;
        foreach (var grouped in outcomes)
        {
            if (grouped.Result is not { } result)
            {
                continue;
            }

            committed++;
            if (result.Version is { } version)
            {
                perTransaction.Add(new ChangesCommitted(_store.SiteId, version, result.Changesets) { Trace = trace });
            }
        }

        StorageMetrics.Commit(group.Length);
        StorageMetrics.Committed(outcomes);
        if (perTransaction.Count > 0)
        {
            _listeners.PublishCommitted(perTransaction, Combined(perTransaction));
        }

        for (var i = 0; i < group.Length; i++)
        {
            var (tx, grouped) = (group[i], outcomes[i]);
            TransactionOutcome outcome;
            if (grouped.Result is { } result)
            {
                outcome = new TransactionOutcome(result, null) { CommittedWith = committed };
            }
            else
            {
                outcome = Failed(tx, grouped.Error!);
                StorageMetrics.Failed(outcome.TimedOut, Stopwatch.GetElapsedTime(started));
            }

            tx.Reply(outcome);
        }
    }

    private static ActivityLink[] Links(ExecuteTransaction[] group)
    {
        var links = new ActivityLink[group.Length - 1];
        for (var i = 1; i < group.Length; i++)
        {
            links[i - 1] = new ActivityLink(group[i].Trace);
        }

        return links;
    }

    /// <summary>One event for a group commit's versions, its chunks in version order (built only when a listener takes it).</summary>
    private ChangesCommitted Combined(List<ChangesCommitted> perTransaction)
    {
        if (perTransaction.Count == 1 || !_listeners.AnyGrouped)
        {
            return perTransaction[^1];
        }

        var chunks = new List<ChangesetFull>(perTransaction.Count);
        foreach (var e in perTransaction)
        {
            chunks.AddRange(e.Changesets);
        }

        return new ChangesCommitted(_store.SiteId, perTransaction[^1].Version, chunks) { FirstVersion = perTransaction[0].FirstVersion, Trace = perTransaction[0].Trace };
    }

    private static bool AnyWholeGroupFailed(IReadOnlyList<GroupedTransaction> outcomes)
    {
        foreach (var outcome in outcomes)
        {
            if (outcome.WholeGroupFailed)
            {
                return true;
            }
        }

        return false;
    }

    private static TransactionOutcome Failed(ExecuteTransaction tx, StatementException e)
    {
        // SQLite reports a transaction stopped by the progress-handler deadline as "interrupted".
        var timedOut = tx.Timeout is not null && e.Message.Contains("interrupt", StringComparison.OrdinalIgnoreCase);
        var index = e.StatementIndex >= 0 ? e.StatementIndex : (int?)null;
        var error = timedOut ? $"the transaction ran longer than its timeout of {tx.Timeout!.Value.TotalSeconds:0.###} s and was rolled back" : e.Message;
        return new TransactionOutcome(null, error, timedOut ? null : index, timedOut);
    }

    private void Execute(ExecuteTransaction tx)
    {
        using var span = CorrosionTelemetry.Source.StartActivity("corrosion.transaction", ActivityKind.Internal, tx.Trace);
        span?.SetTag("corrosion.statements", tx.Statements.Count);
        var started = Stopwatch.GetTimestamp();
        TransactionOutcome outcome;
        try
        {
            TransactionResult result;
            ActivityContext commitContext;
            using (var commit = CorrosionTelemetry.Source.StartActivity("corrosion.storage.commit"))
            {
                result = _store.Execute(tx.Statements, tx.Timeout);
                commit?.SetTag("corrosion.version", result.Version);
                commitContext = commit?.Context ?? default;
            }

            outcome = new TransactionOutcome(result, null);
            StorageMetrics.Commit(1);
            StorageMetrics.Committed(result);
            if (result.Version is { } version)
            {
                Publish(new ChangesCommitted(_store.SiteId, version, result.Changesets) { Trace = commitContext });
            }
        }
        catch (StatementException e)
        {
            outcome = Failed(tx, e);
            StorageMetrics.Failed(outcome.TimedOut, Stopwatch.GetElapsedTime(started));
            span?.SetStatus(ActivityStatusCode.Error, outcome.Error);
        }

        tx.Reply(outcome);
    }

    private void Apply(ApplyChangesets apply)
    {
        try
        {
            if (Replication.ReplicationTrace.Hook is not null)
            {
                foreach (var changeset in apply.Changesets)
                {
                    Replication.ReplicationTrace.Changeset("store.merge", changeset);
                }
            }

            var outcome = Merge(apply.Changesets);
            if (outcome.Error is not null && apply.Changesets.Count > 1)
            {
                // One bad changeset (a stranger's, a table we do not have) must not hold back the good ones read with it.
                outcome = MergeOneByOne(apply.Changesets);
            }

            apply.ReplyTo?.Tell(outcome);
        }
        finally
        {
            if (apply.Queued)
            {
                _telemetry?.AddApplyQueue(-apply.Changesets.Count);
            }
        }
    }

    /// <summary>Merges a batch in one transaction; a bad batch is logged and answered with its error, never thrown.</summary>
    private ApplyOutcome Merge(IReadOnlyList<Changeset> batch)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = _store.Apply(batch);
            StorageMetrics.Merged(result, Stopwatch.GetElapsedTime(started));
            RecordLag(batch, result);
            Publish(new ChangesMerged(result));
            return new ApplyOutcome(result, null);
        }
        catch (Exception e) when (e is SqliteException or SqlException or InvalidDataException or ArgumentException)
        {
            // A bad batch must not take the writer down (a peer's change for a table or column we do
            // not have is a SqlException); sync will offer the changes again.
            LogMergeFailed(_log, batch.Count, e);
            StorageMetrics.MergeFailed();
            return new ApplyOutcome(null, e.Message);
        }
    }

    /// <summary>Merges each changeset of a failed batch alone: what merged, and the first error.</summary>
    private ApplyOutcome MergeOneByOne(IReadOnlyList<Changeset> batch)
    {
        var applied = new List<ActorVersions>();
        var changed = new List<Change>();
        var buffered = new List<ActorVersions>();
        string? error = null;
        foreach (var changeset in batch)
        {
            var one = Merge([changeset]);
            if (one.Result is { } result)
            {
                applied.AddRange(result.Applied);
                changed.AddRange(result.Changed);
                buffered.AddRange(result.Buffered);
            }

            error ??= one.Error;
        }

        return new ApplyOutcome(new MergeResult(applied, changed, buffered), error);
    }

    /// <summary>
    /// Replication lag of the versions this batch completed: now minus the origin's commit time (its
    /// hybrid logical clock), for the lag histogram and <c>/v1/health</c>'s p99.
    /// </summary>
    private void RecordLag(IReadOnlyList<Changeset> batch, MergeResult result)
    {
        if (_telemetry is null)
        {
            return;
        }

        _telemetry.SetGaps(_store.GapCount());
        if (result.Applied.Count == 0)
        {
            return;
        }

        var nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var applied = AppliedRanges(result);
        foreach (var changeset in batch)
        {
            if (changeset is ChangesetFull { Timestamp: > 0 } full && full.Seqs.End == full.LastSeq && BecameApplied(applied, full))
            {
                var seconds = (full.Timestamp >> 32) + ((full.Timestamp & 0xFFFF_FFFF) / 4294967296.0);
                var lag = Math.Max(0, (nowMs / 1000.0) - seconds);
                _telemetry.Lag.Add(lag);
                Replication.ReplicationMetrics.Lag(lag);
            }
        }
    }

    /// <summary>
    /// Per actor, the versions that became applied as disjoint ranges in order: a batch of sync answers holds thousands
    /// of versions, and looking each up in the list took the writer ~30 % of a fresh node's catch-up (a profile of
    /// `join 100000 1`: quadratic in the batch).
    /// </summary>
    private static Dictionary<ActorId, List<(long Start, long End)>> AppliedRanges(MergeResult result)
    {
        var ranges = new Dictionary<ActorId, List<(long Start, long End)>>();
        foreach (var applied in result.Applied)
        {
            if (!ranges.TryGetValue(applied.Actor, out var list))
            {
                list = [];
                ranges[applied.Actor] = list;
            }

            list.Add((applied.Versions.Start, applied.Versions.End));
        }

        foreach (var list in ranges.Values)
        {
            list.Sort();
            // Join overlapping and adjacent ranges, so a lookup needs only the last range starting at or before it.
            var joined = 0;
            for (var i = 1; i < list.Count; i++)
            {
                if (list[i].Start - 1 <= list[joined].End)
                {
                    list[joined] = (list[joined].Start, Math.Max(list[joined].End, list[i].End));
                }
                else
                {
                    list[++joined] = list[i];
                }
            }

            list.RemoveRange(joined + 1, list.Count - joined - 1);
        }

        return ranges;
    }

    private static bool BecameApplied(Dictionary<ActorId, List<(long Start, long End)>> applied, ChangesetFull full)
    {
        if (!applied.TryGetValue(full.Actor, out var ranges))
        {
            return false;
        }

        // The last range starting at or before the version.
        int low = 0, high = ranges.Count - 1, found = -1;
        while (low <= high)
        {
            var middle = low + ((high - low) / 2);
            if (ranges[middle].Start <= full.Version)
            {
                found = middle;
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return found >= 0 && full.Version <= ranges[found].End;
    }

    private void SaveMembers(SaveMembers save)
    {
        try
        {
            _store.SaveMembers(save.Members);
        }
        catch (Exception e) when (e is SqlException or SqliteException)
        {
            // Losing a member snapshot only slows a later rejoin; the next snapshot replaces it.
            LogMembersNotSaved(_log, save.Members.Count, e);
        }
    }

    private void Publish(StorageEvent e) => _listeners.Publish(e);

    [LoggerMessage(Level = LogLevel.Warning, Message = "could not persist {Count} cluster members")]
    private static partial void LogMembersNotSaved(ILogger logger, int count, Exception error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "a group commit of {Count} transactions was rolled back as a whole ({Error}); running each alone")]
    private static partial void LogGroupFailed(ILogger logger, int count, string? error);

    /// <summary>The actor's note to itself: commit what is put aside.</summary>
    private sealed class FlushGroup : IPassesMailboxBound
    {
        public static readonly FlushGroup Instance = new();
    }

    /// <summary>The actor's timer note to itself: run a compaction step.</summary>
    private sealed class CompactVersions : IPassesMailboxBound
    {
        public static readonly CompactVersions Instance = new();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "a bookkeeping compaction step failed; it is retried after the next write")]
    private static partial void LogCompactionFailed(ILogger logger, Exception error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "merge of {Count} changesets failed")]
    private static partial void LogMergeFailed(ILogger logger, int count, Exception error);
}
