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
    /// <summary>
    /// How far the sender has applied the receiver's own versions, on the broadcast link
    /// (<see cref="AppliedReport"/>): the receiver's writers wait while a live peer trails too far.
    /// A node of an earlier release drops it as an unknown kind (and logs at debug).
    /// </summary>
    Applied = 8,
}
