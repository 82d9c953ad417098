using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Subscriptions;

/// <summary>An evaluation run off the actor finished (piped back).</summary>
/// <param name="QueryId">The subscription.</param>
/// <param name="Incarnation">The actor incarnation that started it (a restarted actor ignores older ones).</param>
/// <param name="Outcome">What it read, or null on failure.</param>
/// <param name="Error">Why it failed, or null.</param>
internal sealed record EvaluationDone(string QueryId, object Incarnation, EvaluationOutcome? Outcome, Exception? Error) : SubscriptionCommand;

/// <summary>A batch of cheap evaluations, run on one snapshot off the actor, finished (piped back).</summary>
/// <param name="Incarnation">The actor incarnation that started it.</param>
/// <param name="Results">One per subscription of the batch.</param>
internal sealed record EvaluationBatchDone(object Incarnation, IReadOnlyList<EvaluationDone> Results) : SubscriptionCommand;

/// <summary>A failed subscription may evaluate again (after the retry delay).</summary>
/// <param name="QueryId">The subscription.</param>
internal sealed record RetryEvaluation(string QueryId) : SubscriptionCommand;

/// <summary>Periodic: drop idle subscriptions, prune old changes.</summary>
internal sealed record MaintenanceTick : SubscriptionCommand
{
    public static MaintenanceTick Instance { get; } = new();
}

/// <summary>Storage did not take the listener in time: fail, so the supervisor restarts the actor.</summary>
internal sealed record StartTimedOut : SubscriptionCommand
{
    public static StartTimedOut Instance { get; } = new();
}

/// <summary>
/// Sent by the actor to itself after a storage event updated rows in place: the storage events queued
/// before it are noted first, so the differences of a burst are recorded in one transaction of the
/// subscription file. Never waits for room in the bounded mailbox (the actor would wait on itself).
/// </summary>
internal sealed record PublishInPlace : SubscriptionCommand, Corrosion.Agent.Actors.IPassesMailboxBound
{
    public static PublishInPlace Instance { get; } = new();
}

/// <summary>
/// Sent by the actor to itself when the subscription file has bookkeeping due (the bulk move, folds):
/// one piece per message, after the changes just recorded were sent. Never waits for room in the
/// bounded mailbox (the actor would wait on itself).
/// </summary>
internal sealed record FileUpkeep : SubscriptionCommand, Corrosion.Agent.Actors.IPassesMailboxBound
{
    public static FileUpkeep Instance { get; } = new();
}
