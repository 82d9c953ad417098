namespace Corrosion.Agent.Storage;

/// <summary>
/// What one actor's transaction (or range of transactions) did, as replicated between nodes:
/// either the changes of one version (whole, or a chunk of its seq range), or a range of versions
/// that are "empty" (cleared: every cell they wrote has been overwritten since).
/// </summary>
/// <param name="Actor">The origin actor.</param>
public abstract record Changeset(ActorId Actor);

/// <summary>
/// Changes of one version. <paramref name="Seqs"/> is the part of <c>0..LastSeq</c> this chunk
/// covers; the version is complete once chunks covering all of it have arrived.
/// </summary>
/// <param name="Actor">The origin actor.</param>
/// <param name="Version">The origin actor's version.</param>
/// <param name="Changes">The changes of this chunk, in seq order.</param>
/// <param name="Seqs">The seq range this chunk covers.</param>
/// <param name="LastSeq">The version's last seq.</param>
/// <param name="Timestamp">The origin's hybrid logical clock at commit (NTP64-like: seconds &lt;&lt; 32 | fraction).</param>
public sealed record ChangesetFull(
    ActorId Actor,
    long Version,
    IReadOnlyList<Change> Changes,
    SeqRange Seqs,
    long LastSeq,
    ulong Timestamp) : Changeset(Actor)
{
    /// <summary>True when this chunk covers the whole version.</summary>
    public bool IsComplete => Seqs.Start == 0 && Seqs.End == LastSeq;

    /// <summary>Structural equality, comparing the changes one by one.</summary>
    public bool Equals(ChangesetFull? other) =>
        other is not null
        && Actor == other.Actor
        && Version == other.Version
        && Seqs == other.Seqs
        && LastSeq == other.LastSeq
        && Timestamp == other.Timestamp
        && Changes.SequenceEqual(other.Changes);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Actor, Version, Seqs, LastSeq, Timestamp, Changes.Count);
}

/// <summary>A range of versions of <paramref name="Actor"/> that carry no changes any more.</summary>
/// <param name="Actor">The origin actor.</param>
/// <param name="Versions">The cleared versions.</param>
public sealed record ChangesetEmpty(ActorId Actor, VersionRange Versions) : Changeset(Actor);
