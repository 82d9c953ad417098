namespace Corrosion.Client.Akka.Protocol;

/// <summary>
/// Subscribes to a read-only statement (HTTP's <c>POST /v1/subscriptions</c>; the same statement reuses
/// its subscription). <paramref name="Subscriber"/> receives, from a stream actor on the node,
/// <see cref="Subscribed"/>, the current rows as <see cref="SubscriptionRows"/>, <see cref="SubscriptionEndOfQuery"/>,
/// then <see cref="SubscriptionChanges"/> as they happen — each batch numbered, to acknowledge with
/// <see cref="StreamAck"/> — or a <see cref="ClientError"/> (then the stream is over). A subscriber that
/// falls behind gets <see cref="ClientError"/> of code <see cref="ClientErrorCode.TooSlow"/> and resumes
/// with <see cref="Resume"/>; one that dies or disconnects is dropped (death watch).
/// </summary>
/// <param name="Token">A bearer token of <c>api.authz</c>, or null.</param>
/// <param name="Statement">One read-only statement.</param>
/// <param name="Subscriber">Receives the stream (an actor of the client's).</param>
/// <param name="SkipRows">True to leave the current rows out (the end-of-query mark stays).</param>
public sealed record Subscribe(string? Token, SqlStatement Statement, global::Akka.Actor.IActorRef Subscriber, bool SkipRows = false) : IClientRequest;
