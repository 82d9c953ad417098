using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Replication.Sync;

/// <summary>
/// What to ask one peer for in a sync round. Across the requests of one round no version (and no
/// seq of a partial version) is asked of two peers, and a peer is only asked for what it has.
/// Each whole-version range holds at most <see cref="SyncOptions.MaxVersionsPerRequest"/> versions.
/// </summary>
/// <param name="Peer">The peer (the <see cref="SyncState.Actor"/> of its sync state).</param>
/// <param name="Needs">Per origin actor, what to ask this peer for; sorted by actor.</param>
public sealed record SyncPeerRequest(ActorId Peer, IReadOnlyList<ActorNeeds> Needs)
{
    /// <summary>How many whole versions this request asks for.</summary>
    public long VersionCount => Needs.Sum(n => n.VersionCount);

    /// <summary>Structural equality, comparing the needs one by one.</summary>
    public bool Equals(SyncPeerRequest? other) =>
        other is not null && Peer == other.Peer && Needs.SequenceEqual(other.Needs);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Peer, Needs.Count);
}
