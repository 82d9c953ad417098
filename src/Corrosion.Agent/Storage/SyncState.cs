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
    IReadOnlyDictionary<ActorId, IReadOnlyDictionary<long, IReadOnlyList<SeqRange>>> PartialNeeds);
