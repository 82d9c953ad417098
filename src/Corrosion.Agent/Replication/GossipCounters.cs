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
    private long _syncRoundsContinued;
    private long _localChangesets;
    private long _syncSessionsOpened;
    private long _syncPeersSkipped;

    public void BroadcastSent()
    {
        Interlocked.Increment(ref _broadcastsSent);
        ReplicationMetrics.BroadcastSent();
    }

    public void BroadcastReceived(bool duplicate)
    {
        Interlocked.Increment(ref _broadcastsReceived);
        if (duplicate)
        {
            Interlocked.Increment(ref _broadcastDuplicates);
        }

        ReplicationMetrics.BroadcastReceived(duplicate);
    }

    public void VersionsApplied(long count) => Interlocked.Add(ref _versionsApplied, count);

    public void SyncSessionSucceeded() => ReplicationMetrics.SyncSession("client", ok: true);

    public void SyncRound()
    {
        Interlocked.Increment(ref _syncRounds);
        ReplicationMetrics.SyncRound();
    }

    public void SyncChangesetsReceived(long count)
    {
        Interlocked.Add(ref _syncChangesetsReceived, count);
        ReplicationMetrics.SyncChangesetsMoved("received", count);
    }

    public void SyncChangesetServed()
    {
        Interlocked.Increment(ref _syncChangesetsServed);
        ReplicationMetrics.SyncChangesetsMoved("served", 1);
    }

    public void SyncSessionServed()
    {
        Interlocked.Increment(ref _syncSessionsServed);
        ReplicationMetrics.SyncSession("server", ok: true);
    }

    public void SyncSessionFailed(string role)
    {
        Interlocked.Increment(ref _syncSessionsFailed);
        ReplicationMetrics.SyncSession(role, ok: false);
    }

    public void DecodeError()
    {
        Interlocked.Increment(ref _decodeErrors);
        ReplicationMetrics.DecodeError();
    }

    public void SendDrop()
    {
        Interlocked.Increment(ref _sendDrops);
        ReplicationMetrics.BroadcastDropped("send_queue_full");
    }

    public void ReturnedPeerSyncs(long count) => Interlocked.Add(ref _returnedPeerSyncs, count);

    public void SyncRoundAbandoned() => Interlocked.Increment(ref _syncRoundsAbandoned);

    public void SyncRoundContinued() => Interlocked.Increment(ref _syncRoundsContinued);

    public void LocalChangeset() => Interlocked.Increment(ref _localChangesets);

    public void SyncSessionOpening() => Interlocked.Increment(ref _syncSessionsOpened);

    public void SyncPeersSkipped(long count)
    {
        Interlocked.Add(ref _syncPeersSkipped, count);
        ReplicationMetrics.SyncPeersSkipped(count);
    }

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
        Interlocked.Read(ref _syncRoundsAbandoned),
        Interlocked.Read(ref _localChangesets),
        Interlocked.Read(ref _syncSessionsOpened),
        Interlocked.Read(ref _syncPeersSkipped),
        SyncRoundsContinued: Interlocked.Read(ref _syncRoundsContinued));
}
