namespace Corrosion.Client;

/// <summary>The result of a transaction.</summary>
/// <param name="RowsAffected">Rows affected, one entry per statement.</param>
/// <param name="Version">The node's new version, or null when no replicated row changed.</param>
/// <param name="Time">Seconds the node spent.</param>
/// <param name="ActorId">The node that ran it.</param>
public sealed record ExecuteResult(IReadOnlyList<long> RowsAffected, long? Version, double Time, string? ActorId);
