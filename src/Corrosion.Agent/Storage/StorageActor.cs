using Corrosion.Actors;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Corrosion.Agent.Storage;

/// <summary>
/// The only writer to the database: runs local transactions and merges remote changes one at a
/// time, and tells listeners what changed. Reads do not come here; they use the store's read pool so
/// they never wait behind a merge.
/// </summary>
public sealed partial class StorageActor : Actor<StorageCommand>
{
    private readonly CrdtStore _store;
    private readonly StorageListeners _listeners;

    /// <summary>Creates the actor over a store the node owns (a restart keeps the store).</summary>
    /// <param name="store">The store.</param>
    /// <param name="listeners">
    /// The event listeners, owned by the parent so that they outlive a restart of this actor; null
    /// keeps them in this instance.
    /// </param>
    public StorageActor(CrdtStore store, StorageListeners? listeners = null)
    {
        _store = store;
        _listeners = listeners ?? new StorageListeners();
    }

    /// <inheritdoc />
    protected override ValueTask PreStart()
    {
        // After a restart, watch the listeners the previous incarnation had.
        foreach (var listener in _listeners.All)
        {
            TryWatch(listener);
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    protected override ValueTask OnSignal(Signal signal)
    {
        if (signal is Terminated terminated)
        {
            _listeners.Remove(terminated.Ref);
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    protected override ValueTask OnReceive(StorageCommand message)
    {
        switch (message)
        {
            case ExecuteTransaction tx:
                Execute(tx);
                break;
            case ApplyChangesets apply:
                Apply(apply);
                break;
            case ReadChanges read:
                read.ReplyTo.Tell(_store.ChangesFor(read.Actor, read.Versions));
                break;
            case ReadSyncState state:
                state.ReplyTo.Tell(_store.GetSyncState());
                break;
            case SubscribeStorageEvents subscribe:
                _listeners.Add(subscribe.Listener);
                TryWatch(subscribe.Listener);
                break;
            case UnsubscribeStorageEvents unsubscribe:
                if (_listeners.Remove(unsubscribe.Listener))
                {
                    TryUnwatch(unsubscribe.Listener);
                }
                break;
            case SaveMembers save:
                SaveMembers(save);
                break;
            case LoadMembers load:
                load.ReplyTo.Tell(_store.LoadMembers());
                break;
        }

        return ValueTask.CompletedTask;
    }

    private void Execute(ExecuteTransaction tx)
    {
        TransactionOutcome outcome;
        try
        {
            var result = _store.Execute(tx.Statements, tx.Timeout);
            outcome = new TransactionOutcome(result, null);
            if (result.Version is { } version)
            {
                Publish(new ChangesCommitted(_store.SiteId, version, result.Changesets));
            }
        }
        catch (StatementException e)
        {
            // SQLite reports a transaction stopped by the progress-handler deadline as "interrupted".
            var timedOut = tx.Timeout is not null && e.Message.Contains("interrupt", StringComparison.OrdinalIgnoreCase);
            var index = e.StatementIndex >= 0 ? e.StatementIndex : (int?)null;
            var error = timedOut ? $"the transaction ran longer than its timeout of {tx.Timeout!.Value.TotalSeconds:0.###} s and was rolled back" : e.Message;
            outcome = new TransactionOutcome(null, error, timedOut ? null : index, timedOut);
        }

        tx.ReplyTo.Tell(outcome);
    }

    private void Apply(ApplyChangesets apply)
    {
        ApplyOutcome outcome;
        try
        {
            var result = _store.Apply(apply.Changesets);
            outcome = new ApplyOutcome(result, null);
            Publish(new ChangesMerged(result));
        }
        catch (Exception e) when (e is SqliteException or InvalidDataException or ArgumentException)
        {
            // A bad batch must not take the writer down; sync will offer the changes again.
            LogMergeFailed(Context.Log, apply.Changesets.Count, e);
            outcome = new ApplyOutcome(null, e.Message);
        }

        apply.ReplyTo?.Tell(outcome);
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
            LogMembersNotSaved(Context.Log, save.Members.Count, e);
        }
    }

    private void Publish(StorageEvent e) => _listeners.Publish(e);

    // Only actors can be watched; a test probe stays a listener until it unsubscribes.
    private void TryWatch(IActorRef listener)
    {
        try
        {
            Context.Watch(listener);
        }
        catch (ArgumentException)
        {
        }
    }

    private void TryUnwatch(IActorRef listener)
    {
        try
        {
            Context.Unwatch(listener);
        }
        catch (ArgumentException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "could not persist {Count} cluster members")]
    private static partial void LogMembersNotSaved(ILogger logger, int count, Exception error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "merge of {Count} changesets failed")]
    private static partial void LogMergeFailed(ILogger logger, int count, Exception error);
}
