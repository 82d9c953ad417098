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
public sealed partial class StorageActor : ReceiveActor
{
    private readonly CrdtStore _store;
    private readonly StorageListeners _listeners;
    private readonly NodeTelemetry? _telemetry;
    private readonly TimeProvider _time;
    private readonly ILogger _log;

    /// <summary>Creates the actor over a store the node owns (use <see cref="Props"/>).</summary>
    /// <param name="store">The store (a restart keeps it).</param>
    /// <param name="listeners">
    /// The event listeners, owned by the parent so that they outlive a restart of this actor; null
    /// keeps them in this instance.
    /// </param>
    /// <param name="telemetry">The node's live figures (gaps, apply queue, lag); null records none.</param>
    /// <param name="time">The clock replication lag is measured with (against the origin's commit time).</param>
    public StorageActor(CrdtStore store, StorageListeners? listeners = null, NodeTelemetry? telemetry = null, TimeProvider? time = null)
    {
        _store = store;
        _listeners = listeners ?? new StorageListeners();
        _telemetry = telemetry;
        _time = time ?? TimeProvider.System;
        _log = Context.LoggerFor<StorageActor>();
        Receive<ExecuteTransaction>(Execute);
        Receive<ApplyChangesets>(Apply);
        Receive<ReadChanges>(read => read.ReplyTo.Tell(_store.ChangesFor(read.Actor, read.Versions)));
        Receive<ReadSyncState>(state => state.ReplyTo.Tell(_store.GetSyncState()));
        Receive<SubscribeStorageEvents>(subscribe =>
        {
            _listeners.Add(subscribe.Listener);
            Context.Watch(subscribe.Listener.Untyped);
        });
        Receive<UnsubscribeStorageEvents>(unsubscribe =>
        {
            if (_listeners.Remove(unsubscribe.Listener.Untyped))
            {
                Context.Unwatch(unsubscribe.Listener.Untyped);
            }
        });
        Receive<SaveMembers>(SaveMembers);
        Receive<LoadMembers>(load => load.ReplyTo.Tell(_store.LoadMembers()));
        Receive<Terminated>(terminated => _listeners.Remove(terminated.ActorRef));
    }

    /// <summary>The writer's props, with its bounded mailbox (<see cref="NodeMailboxes.Storage"/>: senders wait).</summary>
    /// <param name="store">The store.</param>
    /// <param name="listeners">Listeners owned by the parent (see the constructor).</param>
    /// <param name="telemetry">The node's live figures; null records none.</param>
    /// <param name="time">The clock for replication lag; null for the system clock.</param>
    /// <returns>The props.</returns>
    public static Props Props(CrdtStore store, StorageListeners? listeners = null, NodeTelemetry? telemetry = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        return Akka.Actor.Props.Create(() => new StorageActor(store, listeners, telemetry, time)).WithMailbox(NodeMailboxes.Storage);
    }

    /// <inheritdoc />
    protected override void PreStart()
    {
        _telemetry?.SetGaps(_store.GapCount());
        // After a restart, watch the listeners the previous incarnation had.
        foreach (var listener in _listeners.All)
        {
            Context.Watch(listener.Untyped);
        }
    }

    private void Execute(ExecuteTransaction tx)
    {
        using var span = CorrosionTelemetry.Source.StartActivity("corrosion.transaction", ActivityKind.Internal, tx.Trace);
        span?.SetTag("db.statements", tx.Statements.Count);
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
            StorageMetrics.Committed(result);
            if (result.Version is { } version)
            {
                Publish(new ChangesCommitted(_store.SiteId, version, result.Changesets) { Trace = commitContext });
            }
        }
        catch (StatementException e)
        {
            // SQLite reports a transaction stopped by the progress-handler deadline as "interrupted".
            var timedOut = tx.Timeout is not null && e.Message.Contains("interrupt", StringComparison.OrdinalIgnoreCase);
            var index = e.StatementIndex >= 0 ? e.StatementIndex : (int?)null;
            var error = timedOut ? $"the transaction ran longer than its timeout of {tx.Timeout!.Value.TotalSeconds:0.###} s and was rolled back" : e.Message;
            outcome = new TransactionOutcome(null, error, timedOut ? null : index, timedOut);
            StorageMetrics.Failed(timedOut, Stopwatch.GetElapsedTime(started));
            span?.SetStatus(ActivityStatusCode.Error, error);
        }

        tx.ReplyTo.Tell(outcome);
    }

    private void Apply(ApplyChangesets apply)
    {
        ApplyOutcome outcome;
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = _store.Apply(apply.Changesets);
            outcome = new ApplyOutcome(result, null);
            StorageMetrics.Merged(result, Stopwatch.GetElapsedTime(started));
            RecordLag(apply.Changesets, result);
            Publish(new ChangesMerged(result));
        }
        catch (Exception e) when (e is SqliteException or InvalidDataException or ArgumentException)
        {
            // A bad batch must not take the writer down; sync will offer the changes again.
            LogMergeFailed(_log, apply.Changesets.Count, e);
            StorageMetrics.MergeFailed();
            outcome = new ApplyOutcome(null, e.Message);
        }
        finally
        {
            if (apply.Queued)
            {
                _telemetry?.AddApplyQueue(-apply.Changesets.Count);
            }
        }

        apply.ReplyTo?.Tell(outcome);
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
        foreach (var changeset in batch)
        {
            if (changeset is ChangesetFull { Timestamp: > 0 } full && full.Seqs.End == full.LastSeq && BecameApplied(result, full))
            {
                var seconds = (full.Timestamp >> 32) + ((full.Timestamp & 0xFFFF_FFFF) / 4294967296.0);
                var lag = Math.Max(0, (nowMs / 1000.0) - seconds);
                _telemetry.Lag.Add(lag);
                Replication.ReplicationMetrics.Lag(lag);
            }
        }
    }

    private static bool BecameApplied(MergeResult result, ChangesetFull full)
    {
        foreach (var applied in result.Applied)
        {
            if (applied.Actor == full.Actor && full.Version >= applied.Versions.Start && full.Version <= applied.Versions.End)
            {
                return true;
            }
        }

        return false;
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "merge of {Count} changesets failed")]
    private static partial void LogMergeFailed(ILogger logger, int count, Exception error);
}
