using System.Net;
using Corrosion.Agent.Actors;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Transport;
using Corrosion.Agent.Replication.Wire;

namespace Corrosion.Agent.Replication;

/// <summary>A message to <see cref="GossipActor"/>, which spreads changes between nodes.</summary>
public abstract record GossipCommand;

/// <summary>A peer is up (or moved): it becomes a broadcast target and a sync partner.</summary>
/// <param name="Id">The peer's actor id.</param>
/// <param name="GossipAddress">The peer's gossip address (where its transport listens).</param>
public sealed record PeerUp(ActorId Id, EndPoint GossipAddress) : GossipCommand;

/// <summary>
/// A known peer came back (alive again after suspect or down, or restarted): it becomes a peer as with
/// <see cref="PeerUp"/>, a sync round with it starts at once (the one running, if any, is given up: a
/// session cut by the partition could hold it until its timeout), and the
/// sync back-off starts over, so that writes made on either side of a healed partition meet within a
/// round trip rather than a sync interval.
/// </summary>
/// <param name="Id">The peer's actor id.</param>
/// <param name="GossipAddress">The peer's gossip address.</param>
public sealed record PeerReturned(ActorId Id, EndPoint GossipAddress) : GossipCommand;

/// <summary>A peer is down or left: it is no longer sent to or synced with.</summary>
/// <param name="Id">The peer's actor id.</param>
public sealed record PeerDown(ActorId Id) : GossipCommand;

/// <summary>
/// Starts a sync round now (<c>corrosion sync reconcile-gaps</c>) unless one is running; the timer's
/// rounds go on as before. Fire and forget.
/// </summary>
public sealed record SyncNow : GossipCommand
{
    /// <summary>The message.</summary>
    public static readonly SyncNow Instance = new();
}

/// <summary>Asks for the gossip counters.</summary>
/// <param name="ReplyTo">Receives a <see cref="GossipStats"/> snapshot.</param>
public sealed record GetGossipStats(ActorRef<GossipStats> ReplyTo) : GossipCommand;

/// <summary>
/// The process went quiet after a burst: give back memory kept only for speed (the broadcast's
/// remembered payload ids beyond the latest few; while no member is live, the payloads kept for later
/// transmissions, which sync repairs).
/// </summary>
/// <param name="ReplyTo">Receives what was given back.</param>
public sealed record ReleaseGossipMemory(ActorRef<GossipMemoryReleased> ReplyTo) : GossipCommand;

/// <summary>The answer to <see cref="ReleaseGossipMemory"/>.</summary>
/// <param name="SeenIdsForgotten">Remembered payload ids forgotten.</param>
/// <param name="PendingDropped">Payloads kept for later transmissions dropped (none while a member is live).</param>
public sealed record GossipMemoryReleased(int SeenIdsForgotten, int PendingDropped);

/// <summary>What <see cref="GossipActor"/> counted since it (last) started.</summary>
/// <param name="BroadcastsSent">Broadcast frames handed to the transport (first sends and re-broadcasts).</param>
/// <param name="BroadcastsReceived">Broadcast changesets decoded from peers.</param>
/// <param name="BroadcastDuplicates">Of those, the ones seen before and dropped.</param>
/// <param name="VersionsApplied">Remote versions that became applied (broadcast and sync; cleared ones included).</param>
/// <param name="SyncRounds">Sync rounds finished.</param>
/// <param name="SyncChangesetsReceived">Changesets received in sync sessions this node opened.</param>
/// <param name="SyncChangesetsServed">Changesets sent to peers in sync sessions this node served.</param>
/// <param name="SyncSessionsServed">Sync sessions served to the end.</param>
/// <param name="SyncSessionsFailed">Sync sessions (either side) that ended with an error, timeout or refusal.</param>
/// <param name="DecodeErrors">Frames dropped because they were malformed or of another cluster.</param>
/// <param name="SendDrops">Broadcast frames the transport refused (queue full, too large, stopped).</param>
/// <param name="LivePeers">Peers currently up.</param>
/// <param name="PendingBroadcasts">Changesets waiting for later transmissions.</param>
/// <param name="ReturnedPeerSyncs">Peers synced with at once because they came back (<see cref="PeerReturned"/>).</param>
/// <param name="SyncRoundsAbandoned">Sync rounds given up so that a round with a member that came back could start at once.</param>
/// <param name="LocalChangesets">Changesets of this node's own commits the actor has handed to the broadcast planner.</param>
/// <param name="SyncSessionsOpened">Sync sessions this node tried to open (a connection each).</param>
/// <param name="SyncPeersSkipped">Peers left out of sync rounds because their digest equalled this node's.</param>
/// <param name="PeerLag">Changes of this node the furthest live, recently reporting peer has not applied (as last evaluated).</param>
/// <param name="AppliedReportsReceived">Peers' reports of how far they applied this node's versions, received.</param>
/// <param name="SyncRoundsContinued">Sync rounds started at once because the last one asked a peer for the round's cap of versions.</param>
public sealed record GossipStats(
    long BroadcastsSent,
    long BroadcastsReceived,
    long BroadcastDuplicates,
    long VersionsApplied,
    long SyncRounds,
    long SyncChangesetsReceived,
    long SyncChangesetsServed,
    long SyncSessionsServed,
    long SyncSessionsFailed,
    long DecodeErrors,
    long SendDrops,
    int LivePeers,
    int PendingBroadcasts,
    long ReturnedPeerSyncs = 0,
    long SyncRoundsAbandoned = 0,
    long LocalChangesets = 0,
    long SyncSessionsOpened = 0,
    long SyncPeersSkipped = 0,
    long PeerLag = 0,
    long AppliedReportsReceived = 0,
    long SyncRoundsContinued = 0);

/// <summary>A storage event, forwarded by the actor's subscription child.</summary>
internal sealed record StorageEventReceived(StorageEvent Event) : GossipCommand;

/// <summary>Broadcast frames read together from the transport.</summary>
internal sealed record FramesReceived(IReadOnlyList<ReceivedFrame> Frames) : GossipCommand;

/// <summary>Time for the broadcast planner's later transmission rounds.</summary>
internal sealed record BroadcastTick : GossipCommand
{
    public static BroadcastTick Instance { get; } = new();
}

/// <summary>Time to tell the origins of the versions merged lately how far this node has applied them.</summary>
internal sealed record AppliedReportTick : GossipCommand
{
    public static AppliedReportTick Instance { get; } = new();
}

/// <summary>Time to look again whether a peer still trails (its reports may have stopped) while the write gate is closed.</summary>
internal sealed record AdmissionCheck : GossipCommand
{
    public static AdmissionCheck Instance { get; } = new();
}

/// <summary>Time to start a sync round.</summary>
internal sealed record SyncTick : GossipCommand
{
    public static SyncTick Instance { get; } = new();
}

/// <summary>A sync round's sessions are open and their peers' states known (failed peers are left out).</summary>
/// <remarks><c>Digest</c> is the digest of <c>Ours</c>, read at state generation <c>Generation</c> (published if nothing changed since).</remarks>
internal sealed record SyncStatesExchanged(long Round, SyncState? Ours, IReadOnlyList<OpenSyncSession> Sessions, Sync.SyncDigest? Digest = null, long Generation = -1) : GossipCommand;

/// <summary>One outgoing sync session of a round ended (well or not).</summary>
internal sealed record SyncSessionFinished(long Round, bool Succeeded = false) : GossipCommand;

/// <summary>Changesets obtained by sync were applied: later broadcasts of them are duplicates.</summary>
/// <summary>The writer's answer to a merge of broadcast changesets (<see cref="GossipActor"/>'s merge queue); a null outcome when it did not answer in time.</summary>
internal sealed record BroadcastMerged(IReadOnlyList<Changeset> Changesets, ApplyOutcome? Outcome) : GossipCommand;

internal sealed record SyncChangesetsApplied(IReadOnlyList<Changeset> Changesets) : GossipCommand;

/// <summary>An outgoing sync session after the state exchange.</summary>
internal sealed record OpenSyncSession(ActorId Peer, ISyncSession Session, SyncState Theirs);

/// <summary>The request one session carries, made on the actor from the planner's assignment.</summary>
internal sealed record PlannedSyncSession(OpenSyncSession Open, SyncRequest Request);
