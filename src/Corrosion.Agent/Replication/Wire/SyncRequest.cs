namespace Corrosion.Agent.Replication.Wire;

/// <summary>Asks the peer of a sync session for the listed versions and seq ranges.</summary>
/// <param name="Needs">Per origin actor, what is wanted.</param>
public sealed record SyncRequest(IReadOnlyList<SyncNeed> Needs) : WireMessage
{
    /// <inheritdoc />
    public override FrameKind Kind => FrameKind.SyncRequest;

    /// <summary>Structural equality, comparing the needs one by one.</summary>
    public bool Equals(SyncRequest? other) => other is not null && Needs.SequenceEqual(other.Needs);

    /// <inheritdoc />
    public override int GetHashCode() => Needs.Count;
}
