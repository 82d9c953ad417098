using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Replication.Sync;

/// <summary>
/// What is wanted of one origin actor: whole versions, and the missing seq ranges of partially
/// received versions. Ranges are sorted and disjoint; a version is never in both lists.
/// </summary>
/// <param name="Actor">The origin actor.</param>
/// <param name="Versions">Whole versions wanted.</param>
/// <param name="Partials">Seq ranges wanted of partially received versions, by ascending version.</param>
public sealed record ActorNeeds(ActorId Actor, IReadOnlyList<VersionRange> Versions, IReadOnlyList<PartialVersionNeed> Partials)
{
    /// <summary>How many whole versions are wanted.</summary>
    public long VersionCount => Versions.Sum(r => r.Count);

    /// <summary>True when nothing is wanted.</summary>
    public bool IsEmpty => Versions.Count == 0 && Partials.Count == 0;

    /// <summary>Structural equality, comparing the lists one by one.</summary>
    public bool Equals(ActorNeeds? other) =>
        other is not null
        && Actor == other.Actor
        && Versions.SequenceEqual(other.Versions)
        && Partials.SequenceEqual(other.Partials);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Actor, Versions.Count, Partials.Count);

    /// <inheritdoc />
    public override string ToString() =>
        $"{Actor}: versions [{string.Join(", ", Versions)}] partials [{string.Join(", ", Partials)}]";
}
