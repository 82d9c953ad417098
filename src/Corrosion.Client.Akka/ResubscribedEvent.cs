namespace Corrosion.Client.Akka;

/// <summary>
/// The subscription could not be resumed where it was (another node took over, or the node no longer
/// knows it): it started over. Drop the state built so far; the current rows and an end-of-query mark follow.
/// </summary>
/// <param name="QueryId">The new subscription's id.</param>
/// <param name="Node">The node now serving it.</param>
public sealed record ResubscribedEvent(string QueryId, string Node) : AkkaSubscriptionEvent;
