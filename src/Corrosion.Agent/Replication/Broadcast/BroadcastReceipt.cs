namespace Corrosion.Agent.Replication.Broadcast;

/// <summary>What <see cref="BroadcastPlanner.Received"/> decided about a payload from a peer.</summary>
/// <param name="IsDuplicate">True when the payload was seen before: drop it, it is not re-sent.</param>
/// <param name="Sends">The re-broadcasts to make now (empty for a duplicate).</param>
public sealed record BroadcastReceipt(bool IsDuplicate, IReadOnlyList<BroadcastSend> Sends);
