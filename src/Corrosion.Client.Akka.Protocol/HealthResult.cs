namespace Corrosion.Client.Akka.Protocol;

/// <summary>The node's health figures.</summary>
/// <param name="ActorId">The node's actor id.</param>
/// <param name="Members">Live members, this node included.</param>
/// <param name="Gaps">Versions known to exist and not yet applied.</param>
/// <param name="QueueSize">Broadcasts waiting to be sent.</param>
/// <param name="P99Lag">Replication lag, seconds.</param>
public sealed record HealthResult(string ActorId, long Members, long Gaps, long QueueSize, double P99Lag) : IClientMessage;
