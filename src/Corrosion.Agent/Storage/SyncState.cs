namespace Corrosion.Agent.Storage;

/// <summary>
/// What a node has and lacks, exchanged at the start of a sync session (DESIGN.md §5):
/// per origin actor, the highest version seen, the version ranges still needed below it, and the
/// seq ranges still needed of partially received versions.
/// </summary>
/// <param name="Actor">The node that describes itself.</param>
/// <param name="Heads">Per origin actor, the highest version this node knows of.</param>
/// <param name="Needs">Per origin actor, the gaps: versions at or below the head not yet applied.</param>
/// <param name="PartialNeeds">Per origin actor and version, the seq ranges still missing.</param>
public sealed record SyncState(
    ActorId Actor,
    IReadOnlyDictionary<ActorId, long> Heads,
    IReadOnlyDictionary<ActorId, IReadOnlyList<VersionRange>> Needs,
    IReadOnlyDictionary<ActorId, IReadOnlyDictionary<long, IReadOnlyList<SeqRange>>> PartialNeeds)
{
    /// <summary>
    /// How many versions are needed in all, saturating at <see cref="long.MaxValue"/>: a peer may
    /// announce any version up to <see cref="long.MaxValue"/>, and the total must not overflow.
    /// </summary>
    public long NeededVersions()
    {
        long total = 0;
        foreach (var ranges in Needs.Values)
        {
            foreach (var range in ranges)
            {
                var count = range.Count;
                total = count <= 0 ? total : count > long.MaxValue - total ? long.MaxValue : total + count;
            }
        }

        return total;
    }
}
