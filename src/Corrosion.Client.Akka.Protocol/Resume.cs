namespace Corrosion.Client.Akka.Protocol;

/// <summary>
/// Re-attaches to a subscription by id (HTTP's <c>GET /v1/subscriptions/{id}?from=</c>). With
/// <paramref name="From"/>, <paramref name="Subscriber"/> receives <see cref="Subscribed"/> then every change
/// after that change id (no rows, no end-of-query); without it, the stream starts as after <see cref="Subscribe"/>.
/// An unknown id is <see cref="ClientErrorCode.NotFound"/>; a change id no longer kept is
/// <see cref="ClientErrorCode.ChangeIdExpired"/>.
/// </summary>
/// <param name="Token">A bearer token of <c>api.authz</c>, or null.</param>
/// <param name="QueryId">The subscription's id (<see cref="Subscribed.QueryId"/>).</param>
/// <param name="From">The last change id the subscriber has seen, or null.</param>
/// <param name="Subscriber">Receives the stream.</param>
public sealed record Resume(string? Token, string QueryId, long? From, global::Akka.Actor.IActorRef Subscriber) : IClientRequest;
