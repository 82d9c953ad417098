namespace Corrosion.Agent.Replication;

/// <summary>Counters of <see cref="GossipActor"/>, bumped by the actor and by its session tasks (thread-safe).</summary>
internal sealed class GossipCounters
{
    private long _broadcastsSent;
    private long _broadcastsReceived;
    private long _broadcastDuplicates;
    private long _versionsApplied;
    private long _syncRounds;
    private long _syncChangesetsReceived;
    private long _syncChangesetsServed;
    private long _syncSessionsServed;
    private long _syncSessionsFailed;
    private long _decodeErrors;
    private long _sendDrops;
    private long _returnedPeerSyncs;
    private long _syncRoundsAbandoned;

    public void BroadcastSent() => Interlocked.Increment(ref _broadcastsSent);

    public void BroadcastReceived() => Interlocked.Increment(ref _broadcastsReceived);

    public void BroadcastDuplicate() => Interlocked.Increment(ref _broadcastDuplicates);

    public void VersionsApplied(long count) => Interlocked.Add(ref _versionsApplied, count);

    public void SyncRound() => Interlocked.Increment(ref _syncRounds);

    public void SyncChangesetsReceived(long count) => Interlocked.Add(ref _syncChangesetsReceived, count);

    public void SyncChangesetServed() => Interlocked.Increment(ref _syncChangesetsServed);

    public void SyncSessionServed() => Interlocked.Increment(ref _syncSessionsServed);

    public void SyncSessionFailed() => Interlocked.Increment(ref _syncSessionsFailed);

    public void DecodeError() => Interlocked.Increment(ref _decodeErrors);

    public void SendDrop() => Interlocked.Increment(ref _sendDrops);

    public void ReturnedPeerSyncs(long count) => Interlocked.Add(ref _returnedPeerSyncs, count);

    public void SyncRoundAbandoned() => Interlocked.Increment(ref _syncRoundsAbandoned);

    public GossipStats Snapshot(int livePeers, int pendingBroadcasts) => new(
        Interlocked.Read(ref _broadcastsSent),
        Interlocked.Read(ref _broadcastsReceived),
        Interlocked.Read(ref _broadcastDuplicates),
        Interlocked.Read(ref _versionsApplied),
        Interlocked.Read(ref _syncRounds),
        Interlocked.Read(ref _syncChangesetsReceived),
        Interlocked.Read(ref _syncChangesetsServed),
        Interlocked.Read(ref _syncSessionsServed),
        Interlocked.Read(ref _syncSessionsFailed),
        Interlocked.Read(ref _decodeErrors),
        Interlocked.Read(ref _sendDrops),
        livePeers,
        pendingBroadcasts,
        Interlocked.Read(ref _returnedPeerSyncs),
        Interlocked.Read(ref _syncRoundsAbandoned));
}
