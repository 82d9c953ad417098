using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Replication.Sync;

/// <summary>The seq ranges still wanted of one partially received version.</summary>
/// <param name="Version">The origin actor's version.</param>
/// <param name="Seqs">The wanted seq ranges, sorted and disjoint.</param>
public sealed record PartialVersionNeed(long Version, IReadOnlyList<SeqRange> Seqs)
{
    /// <summary>Structural equality, comparing the ranges one by one.</summary>
    public bool Equals(PartialVersionNeed? other) =>
        other is not null && Version == other.Version && Seqs.SequenceEqual(other.Seqs);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Version, Seqs.Count);

    /// <inheritdoc />
    public override string ToString() => $"{Version}[{string.Join(", ", Seqs)}]";
}
