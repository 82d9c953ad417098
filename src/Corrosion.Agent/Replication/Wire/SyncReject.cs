namespace Corrosion.Agent.Replication.Wire;

/// <summary>The peer refuses the sync session.</summary>
/// <param name="Reason">Why.</param>
/// <param name="Detail">A human-readable explanation (may be empty).</param>
public sealed record SyncReject(SyncRejectReason Reason, string Detail) : WireMessage
{
    /// <inheritdoc />
    public override FrameKind Kind => FrameKind.SyncReject;
}
