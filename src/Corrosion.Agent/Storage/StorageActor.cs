using Akka.Actor;
using Corrosion.Agent.Actors;
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
    private readonly ILogger _log;

    /// <summary>Creates the actor over a store the node owns (use <see cref="Props"/>).</summary>
    /// <param name="store">The store (a restart keeps it).</param>
    /// <param name="listeners">
    /// The event listeners, owned by the parent so that they outlive a restart of this actor; null
    /// keeps them in this instance.
    /// </param>
    public StorageActor(CrdtStore store, StorageListeners? listeners = null)
    {
        _store = store;
        _listeners = listeners ?? new StorageListeners();
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
    /// <returns>The props.</returns>
    public static Props Props(CrdtStore store, StorageListeners? listeners = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        return Akka.Actor.Props.Create(() => new StorageActor(store, listeners)).WithMailbox(NodeMailboxes.Storage);
    }

    /// <inheritdoc />
    protected override void PreStart()
    {
        // After a restart, watch the listeners the previous incarnation had.
        foreach (var listener in _listeners.All)
        {
            Context.Watch(listener.Untyped);
        }
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
            LogMergeFailed(_log, apply.Changesets.Count, e);
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
            LogMembersNotSaved(_log, save.Members.Count, e);
        }
    }

    private void Publish(StorageEvent e) => _listeners.Publish(e);

    [LoggerMessage(Level = LogLevel.Warning, Message = "could not persist {Count} cluster members")]
    private static partial void LogMembersNotSaved(ILogger logger, int count, Exception error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "merge of {Count} changesets failed")]
    private static partial void LogMergeFailed(ILogger logger, int count, Exception error);
}
