namespace Corrosion.Client.Akka.Protocol;

/// <summary>
/// Watches a replicated table for changed primary keys (HTTP's <c>POST /v1/updates/{table}</c>).
/// <paramref name="Watcher"/> receives <see cref="TableWatchStarted"/> then <see cref="TableUpdates"/>
/// batches (acknowledge with <see cref="StreamAck"/>), or a <see cref="ClientError"/>.
/// </summary>
/// <param name="Token">A bearer token of <c>api.authz</c>, or null.</param>
/// <param name="Table">The replicated table.</param>
/// <param name="Watcher">Receives the stream.</param>
public sealed record WatchTable(string? Token, string Table, global::Akka.Actor.IActorRef Watcher) : IClientRequest;
