using Corrosion.Agent.Storage;

namespace Corrosion.Bench.Replication;

/// <summary>One hop of one change on one node: the hop's name, the change, when (Stopwatch ticks), and the peer it concerns.</summary>
internal sealed record HopEvent(string Hop, ActorId Actor, long Version, long At, string? Peer);
