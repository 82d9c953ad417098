namespace Corrosion.Simulation.Replication;

/// <summary>What a <see cref="ReplicationSimulation"/> run measured.</summary>
/// <param name="FullyReplicatedMs">Per change, in write order: time from the write to the last node holding it, or -1 when some node never got it.</param>
/// <param name="BroadcastMessages">Broadcast frames sent (each carries one change).</param>
/// <param name="SyncMessages">Sync frames sent (state asks and replies, requests, answers).</param>
/// <param name="DeliveredBySync">Node-change pairs first obtained through sync rather than broadcast.</param>
/// <param name="Lost">Messages the network dropped.</param>
/// <param name="SimulatedMs">Virtual time at the end of the run.</param>
public sealed record ReplicationReport(
    IReadOnlyList<long> FullyReplicatedMs,
    long BroadcastMessages,
    long SyncMessages,
    long DeliveredBySync,
    long Lost,
    long SimulatedMs)
{
    /// <summary>True when every change reached every node.</summary>
    public bool AllReplicated => FullyReplicatedMs.All(static ms => ms >= 0);
}
