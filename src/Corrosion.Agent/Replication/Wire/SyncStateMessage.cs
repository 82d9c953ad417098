using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Replication.Wire;

/// <summary>Opens a sync session: what the sender has and lacks.</summary>
/// <param name="State">The sender's sync state.</param>
public sealed record SyncStateMessage(SyncState State) : WireMessage
{
    /// <inheritdoc />
    public override FrameKind Kind => FrameKind.SyncState;
}
