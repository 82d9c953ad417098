namespace Corrosion.Agent.Api;

/// <summary>The figures <c>/v1/health</c> reports.</summary>
/// <param name="Members">Live members, this node included.</param>
/// <param name="Gaps">Versions known to exist but not yet applied.</param>
/// <param name="QueueSize">Changesets waiting for later broadcast transmissions (gossip's pending broadcasts; 0 without replication or while gossip restarts).</param>
/// <param name="P99Lag">Replication lag, seconds (0 on a single node).</param>
public sealed record HealthReport(int Members, long Gaps, long QueueSize, double P99Lag);
