namespace Corrosion.Agent.Subscriptions;

/// <summary>Why a subscription request was refused.</summary>
/// <param name="Kind">The kind of failure (maps to an HTTP status).</param>
/// <param name="Message">A message for the caller.</param>
/// <param name="OldestChangeId">For <see cref="SubscriptionErrorKind.ChangeIdExpired"/>: the oldest change id still kept.</param>
public sealed record SubscriptionError(SubscriptionErrorKind Kind, string Message, long? OldestChangeId = null);
