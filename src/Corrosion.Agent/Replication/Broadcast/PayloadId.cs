using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Replication.Broadcast;

/// <summary>
/// Identifies a broadcast payload: the origin actor, the versions and the seq range of the changeset
/// it carries. Two chunks of one version are different payloads; a cleared (empty) range of versions
/// has <see cref="Seqs"/> = <see cref="EmptySeqs"/>, which no real chunk has.
/// </summary>
/// <param name="Actor">The origin actor.</param>
/// <param name="Versions">The version (a single one for changes) or the cleared versions.</param>
/// <param name="Seqs">The seq range of the chunk, or <see cref="EmptySeqs"/>.</param>
public readonly record struct PayloadId(ActorId Actor, VersionRange Versions, SeqRange Seqs)
{
    /// <summary>The seq range of an empty (cleared) changeset's id.</summary>
    public static readonly SeqRange EmptySeqs = new(-1, -1);

    /// <summary>True for the id of an empty (cleared) changeset.</summary>
    public bool IsEmpty => Seqs == EmptySeqs;

    /// <summary>The id of a changeset.</summary>
    public static PayloadId Of(Changeset changeset) => changeset switch
    {
        ChangesetFull full => new PayloadId(full.Actor, VersionRange.Single(full.Version), full.Seqs),
        ChangesetEmpty empty => new PayloadId(empty.Actor, empty.Versions, EmptySeqs),
        null => throw new ArgumentNullException(nameof(changeset)),
        _ => throw new ArgumentException($"unknown changeset type {changeset.GetType().Name}", nameof(changeset)),
    };

    /// <inheritdoc />
    public override string ToString() => IsEmpty ? $"{Actor}/{Versions}/empty" : $"{Actor}/{Versions}/{Seqs}";
}
