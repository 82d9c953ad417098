namespace Corrosion.Agent.Node;

/// <summary>What <see cref="CorrosionNode.ReleaseMemoryAsync"/> gave back.</summary>
/// <param name="PageCacheBytes">SQLite page cache freed (writer and idle read connections).</param>
/// <param name="SeenIdsForgotten">Broadcast payload ids forgotten.</param>
/// <param name="PendingDropped">Broadcast payloads kept for later transmissions dropped (only while no member is live).</param>
public sealed record NodeMemoryReleased(long PageCacheBytes, int SeenIdsForgotten, int PendingDropped);
