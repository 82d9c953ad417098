using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Replication.Wire;

/// <summary>
/// Sent on the broadcast link to <paramref name="Origin"/>: the highest of its versions
/// <paramref name="Reporter"/> has applied. The origin compares it with its own head to see how far
/// that peer trails, and delays its local writers while a live peer trails too far (cross-node
/// back-pressure, <c>gossip.replication.max_peer_lag_changes</c>).
/// </summary>
/// <param name="Reporter">The node that applied the versions.</param>
/// <param name="Origin">The node whose versions they are (the frame's receiver).</param>
/// <param name="Version">The highest version of <paramref name="Origin"/> the reporter has applied.</param>
public sealed record AppliedReport(ActorId Reporter, ActorId Origin, long Version) : WireMessage
{
    /// <inheritdoc />
    public override FrameKind Kind => FrameKind.Applied;
}
