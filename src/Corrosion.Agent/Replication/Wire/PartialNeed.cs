using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Replication.Wire;

/// <summary>The seq ranges wanted of one partially received version.</summary>
/// <param name="Version">The version.</param>
/// <param name="Seqs">The wanted seq ranges.</param>
public sealed record PartialNeed(long Version, IReadOnlyList<SeqRange> Seqs)
{
    /// <summary>Structural equality, comparing the ranges one by one.</summary>
    public bool Equals(PartialNeed? other) =>
        other is not null && Version == other.Version && Seqs.SequenceEqual(other.Seqs);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Version, Seqs.Count);
}
