using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Replication.Wire;

/// <summary>A changeset (a whole version, a chunk of one, or cleared versions) spread by broadcast.</summary>
/// <param name="Changeset">The changeset.</param>
public sealed record BroadcastChangeset(Changeset Changeset) : WireMessage
{
    /// <inheritdoc />
    public override FrameKind Kind => FrameKind.Broadcast;
}
