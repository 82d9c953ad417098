using Corrosion.Agent.Actors;
using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Subscriptions;

/// <summary>A message to <c>SubscriptionActor</c>, which owns every live query of the node.</summary>
public abstract record SubscriptionCommand;

/// <summary>
/// Subscribes to a read-only statement: reuses the subscription of the same statement (same SQL text
/// and parameters) when one exists, otherwise creates it, then attaches a listener that receives the
/// current rows and every change after them.
/// </summary>
/// <param name="Statement">One read-only statement, with its parameters.</param>
/// <param name="SkipRows">True to leave the current rows out of the stream (the end-of-query mark stays).</param>
/// <param name="ReplyTo">Receives the stream, or why there is none.</param>
/// <param name="InlineReader">
/// The stream's reader is resumed on the subscription actor's thread when changes arrive (no
/// thread-pool hop per event): only for a reader that does little and never blocks before its next
/// await (the HTTP stream's pump), never for a client's own code.
/// </param>
public sealed record Subscribe(Statement Statement, bool SkipRows, ActorRef<SubscribeOutcome> ReplyTo, bool InlineReader = false) : SubscriptionCommand;

/// <summary>
/// Re-attaches to an existing subscription. With <paramref name="From"/>, the stream replays every
/// change after that change id (no rows); without it, the stream starts like <see cref="Subscribe"/>.
/// </summary>
/// <param name="QueryId">The subscription's id (header <c>corro-query-id</c>).</param>
/// <param name="From">The last change id the listener has seen, or null for a fresh start.</param>
/// <param name="SkipRows">True to leave the current rows out (when <paramref name="From"/> is null).</param>
/// <param name="ReplyTo">Receives the stream, or why there is none.</param>
/// <param name="InlineReader">As for <see cref="Subscribe"/>.</param>
public sealed record AttachSubscription(string QueryId, long? From, bool SkipRows, ActorRef<SubscribeOutcome> ReplyTo, bool InlineReader = false) : SubscriptionCommand;

/// <summary>A listener went away (its stream was disposed). Fire and forget.</summary>
/// <param name="QueryId">The subscription.</param>
/// <param name="ListenerId">The listener, from <see cref="SubscriptionStream.ListenerId"/>.</param>
public sealed record DetachSubscription(string QueryId, long ListenerId) : SubscriptionCommand;

/// <summary>
/// Drops a subscription now, as its idle timeout would: its rows and change log are deleted and
/// its listeners' streams end. The same statement subscribed again afterwards is a new subscription
/// (a fresh first run). For tools and benchmarks that need a node without the subscription.
/// </summary>
/// <param name="QueryId">The subscription's id.</param>
/// <param name="ReplyTo">Receives true when it was dropped, false when there was no such subscription.</param>
public sealed record DropSubscription(string QueryId, ActorRef<bool> ReplyTo) : SubscriptionCommand;

/// <summary>
/// Watches a replicated table for changed primary keys (<c>/v1/updates/{table}</c>).
/// </summary>
/// <param name="Table">The replicated table.</param>
/// <param name="ReplyTo">Receives the stream, or why there is none.</param>
public sealed record WatchTable(string Table, ActorRef<WatchOutcome> ReplyTo) : SubscriptionCommand;

/// <summary>A table watcher went away. Fire and forget.</summary>
/// <param name="Table">The table.</param>
/// <param name="ListenerId">The listener, from <see cref="UpdateStream.ListenerId"/>.</param>
public sealed record UnwatchTable(string Table, long ListenerId) : SubscriptionCommand;

/// <summary>
/// Asks how a subscription is maintained: its strategy and the reason, per table, and what its
/// evaluations did (<c>corrosion subs info ID</c>).
/// </summary>
/// <param name="QueryId">The subscription's id.</param>
/// <param name="ReplyTo">Receives the info, or why there is none.</param>
public sealed record GetSubscriptionInfo(string QueryId, ActorRef<SubscriptionInfoOutcome> ReplyTo) : SubscriptionCommand;

/// <summary>Asks for every live subscription, as <see cref="GetSubscriptionInfo"/> describes one (<c>corrosion subs list</c>).</summary>
/// <param name="ReplyTo">Receives them, ordered by id.</param>
public sealed record ListSubscriptions(ActorRef<IReadOnlyList<SubscriptionInfo>> ReplyTo) : SubscriptionCommand;

/// <summary>The answer to <see cref="GetSubscriptionInfo"/>.</summary>
/// <param name="Info">The info, or null.</param>
/// <param name="Error">Why there is none (NotFound), or null.</param>
public sealed record SubscriptionInfoOutcome(SubscriptionInfo? Info, SubscriptionError? Error);
