using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Replication.Wire;

/// <summary>A changeset sent in answer to a sync request; applied like a broadcast, never re-broadcast.</summary>
/// <param name="Changeset">The changeset.</param>
public sealed record SyncChangeset(Changeset Changeset) : WireMessage
{
    /// <inheritdoc />
    public override FrameKind Kind => FrameKind.SyncChangeset;
}
