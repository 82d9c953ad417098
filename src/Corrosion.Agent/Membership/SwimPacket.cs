using Corrosion.Agent.Replication.Sync;

namespace Corrosion.Agent.Membership;

/// <summary>A decoded SWIM datagram.</summary>
/// <param name="ClusterId">Cluster of the sender.</param>
/// <param name="Type">What kind of message.</param>
/// <param name="Sender">The sender's identity (cluster id taken from the packet).</param>
/// <param name="Sequence">Probe sequence for ping, ack, ping-req and nack; 0 otherwise.</param>
/// <param name="Target">The member to probe for ping-req; default otherwise.</param>
/// <param name="Updates">Piggybacked updates.</param>
public sealed record SwimPacket(
    ushort ClusterId,
    SwimMessageType Type,
    MemberIdentity Sender,
    uint Sequence,
    NodeAddress Target,
    IReadOnlyList<MemberUpdate> Updates)
{
    /// <summary>The sender's sync digest, when it has a current one (a trailer after the updates).</summary>
    public SyncDigest? Digest { get; init; }
}
