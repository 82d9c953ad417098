namespace Corrosion.Agent.Subscriptions;

/// <summary>The answer to <see cref="Subscribe"/> or <see cref="AttachSubscription"/>: a stream, or an error.</summary>
/// <param name="Stream">The attached stream, or null on error.</param>
/// <param name="Error">Why there is no stream, or null.</param>
public sealed record SubscribeOutcome(SubscriptionStream? Stream, SubscriptionError? Error);
