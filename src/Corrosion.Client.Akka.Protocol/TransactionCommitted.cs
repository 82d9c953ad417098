namespace Corrosion.Client.Akka.Protocol;

/// <summary>A committed transaction.</summary>
/// <param name="RowsAffected">Rows changed, per statement.</param>
/// <param name="Version">The node's new local version, or null when no replicated row changed.</param>
/// <param name="ActorId">The node's actor id.</param>
/// <param name="Time">Seconds the transaction took.</param>
public sealed record TransactionCommitted(IReadOnlyList<long> RowsAffected, long? Version, string ActorId, double Time) : IClientMessage;
