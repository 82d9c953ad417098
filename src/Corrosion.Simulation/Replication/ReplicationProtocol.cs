using Corrosion.Agent.Replication.Broadcast;
using Corrosion.Agent.Replication.Sync;
using Corrosion.Agent.Storage;

namespace Corrosion.Simulation.Replication;

/// <summary>A frame between two simulated replicas (contents modelled, not encoded).</summary>
public abstract record ReplicationMessage;

/// <summary>A broadcast of one change.</summary>
public sealed record SimBroadcast(PayloadId Payload) : ReplicationMessage;

/// <summary>Opens a sync session: asks the peer for its state.</summary>
public sealed record SimSyncOpen(int Round) : ReplicationMessage;

/// <summary>The peer's sync state.</summary>
public sealed record SimSyncState(int Round, SyncState State) : ReplicationMessage;

/// <summary>What the initiator asks of this peer.</summary>
public sealed record SimSyncRequest(IReadOnlyList<ActorNeeds> Needs) : ReplicationMessage;

/// <summary>The changes the peer holds among those asked.</summary>
public sealed record SimSyncAnswer(IReadOnlyList<ActorVersions> Changes) : ReplicationMessage;
