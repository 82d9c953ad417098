namespace Corrosion.Client.Akka.Protocol;

/// <summary>
/// Runs one read-only statement (HTTP's <c>POST /v1/queries</c>). The sender receives, from a stream
/// actor on the node, <see cref="QueryStarted"/> with the columns, <see cref="QueryRows"/> in bounded
/// chunks (acknowledge each with <see cref="StreamAck"/> to the chunk's sender; at most
/// <c>akka_api.window</c> chunks travel unacknowledged), then <see cref="QueryEnd"/> — or a
/// <see cref="ClientError"/> at any point. <see cref="CancelStream"/> to the stream actor stops it.
/// </summary>
/// <param name="Token">A bearer token of <c>api.authz</c>, or null.</param>
/// <param name="Statement">One read-only statement.</param>
/// <param name="TimeoutSeconds">How long the query may run; null for the node's <c>api.default_timeout</c>.</param>
public sealed record Query(string? Token, SqlStatement Statement, double? TimeoutSeconds = null) : IClientRequest;
