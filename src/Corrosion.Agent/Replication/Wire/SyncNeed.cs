using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Replication.Wire;

/// <summary>What a requester wants of one origin actor: whole version ranges, and parts of partial versions.</summary>
/// <param name="Actor">The origin actor.</param>
/// <param name="Versions">Whole versions wanted.</param>
/// <param name="Partials">Seq ranges wanted of partially received versions.</param>
public sealed record SyncNeed(ActorId Actor, IReadOnlyList<VersionRange> Versions, IReadOnlyList<PartialNeed> Partials)
{
    /// <summary>Structural equality, comparing the lists one by one.</summary>
    public bool Equals(SyncNeed? other) =>
        other is not null
        && Actor == other.Actor
        && Versions.SequenceEqual(other.Versions)
        && Partials.SequenceEqual(other.Partials);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Actor, Versions.Count, Partials.Count);
}
