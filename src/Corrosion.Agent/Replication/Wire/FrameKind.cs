namespace Corrosion.Agent.Replication.Wire;

/// <summary>The kind byte of a gossip frame. Values are part of the wire format: never renumber.</summary>
public enum FrameKind : byte
{
    /// <summary>A changeset pushed by broadcast (<see cref="BroadcastChangeset"/>).</summary>
    Broadcast = 1,
    /// <summary>A node's sync state, the opening of a sync session (<see cref="SyncStateMessage"/>).</summary>
    SyncState = 2,
    /// <summary>What the requester wants from the peer (<see cref="SyncRequest"/>).</summary>
    SyncRequest = 3,
    /// <summary>A changeset streamed in answer to a sync request (<see cref="SyncChangeset"/>).</summary>
    SyncChangeset = 4,
    /// <summary>The peer has sent everything it will send (<see cref="SyncDone"/>).</summary>
    SyncDone = 5,
    /// <summary>The peer refuses the session (<see cref="SyncReject"/>).</summary>
    SyncReject = 6,
    /// <summary>A liveness probe on a link (<see cref="Ping"/>).</summary>
    Ping = 7,
}
