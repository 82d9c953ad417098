namespace Corrosion.Client.Akka.Protocol;

/// <summary>The node refused or failed a request. Nothing of a refused transaction was applied.</summary>
/// <param name="Code">The kind of failure.</param>
/// <param name="Message">What went wrong, as the HTTP API says it (for a transaction: <c>statement N: ... (nothing was applied)</c>).</param>
/// <param name="StatementIndex">For a failed transaction: the index of the failing statement, when one failed.</param>
/// <param name="OldestChangeId">For <see cref="ClientErrorCode.ChangeIdExpired"/>: the oldest change id still kept.</param>
public sealed record ClientError(ClientErrorCode Code, string Message, int? StatementIndex = null, long? OldestChangeId = null) : IClientMessage;
