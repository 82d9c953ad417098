using System.Net;
using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Replication.Broadcast;

/// <summary>An instruction from <see cref="BroadcastPlanner"/>: send this payload to this peer now.</summary>
/// <param name="Peer">The peer's actor id.</param>
/// <param name="Address">The peer's gossip address, as last reported by membership.</param>
/// <param name="Payload">Which payload.</param>
/// <param name="Data">The payload's bytes as given to the planner (not copied).</param>
public sealed record BroadcastSend(ActorId Peer, EndPoint Address, PayloadId Payload, ReadOnlyMemory<byte> Data);
