namespace Corrosion.Client.Akka.Protocol;

/// <summary>
/// Runs statements in one transaction (HTTP's <c>POST /v1/transactions</c>). The gateway answers the
/// sender with <see cref="TransactionCommitted"/>, or <see cref="ClientError"/> naming the failing statement
/// (then nothing was applied). Needs a token of scope write when tokens are configured.
/// </summary>
/// <param name="Token">A bearer token of <c>api.authz</c>, or null.</param>
/// <param name="Statements">At least one statement.</param>
/// <param name="TimeoutSeconds">How long the transaction may run before it is rolled back; null for the node's <c>api.default_timeout</c>.</param>
public sealed record Execute(string? Token, IReadOnlyList<SqlStatement> Statements, double? TimeoutSeconds = null) : IClientRequest;
