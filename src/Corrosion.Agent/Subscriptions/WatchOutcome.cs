namespace Corrosion.Agent.Subscriptions;

/// <summary>The answer to <see cref="WatchTable"/>: a stream, or an error.</summary>
/// <param name="Stream">The attached stream, or null on error.</param>
/// <param name="Error">Why there is no stream, or null.</param>
public sealed record WatchOutcome(UpdateStream? Stream, SubscriptionError? Error);
