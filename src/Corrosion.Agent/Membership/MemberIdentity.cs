using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Membership;

/// <summary>
/// Who a member is. A node restarted at the same address comes back with a newer
/// <paramref name="StartedAtMs"/> and replaces its previous identity; the incarnation is bumped by the
/// member itself to refute suspicion.
/// </summary>
/// <param name="Id">The node's actor (site) id.</param>
/// <param name="Address">The node's gossip address.</param>
/// <param name="Incarnation">Refutation counter, raised only by the member itself.</param>
/// <param name="ClusterId">Cluster the node belongs to; packets of other clusters are ignored.</param>
/// <param name="StartedAtMs">When this life of the node started (Unix ms); newer wins at one address.</param>
public sealed record MemberIdentity(ActorId Id, NodeAddress Address, long Incarnation, ushort ClusterId, long StartedAtMs)
{
    /// <summary>
    /// Whether this identity is a later life of the node at the same address than <paramref name="other"/>.
    /// Ties on start time are broken by id so that two claimants converge on one winner.
    /// </summary>
    public bool IsNewerLifeThan(MemberIdentity other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return StartedAtMs != other.StartedAtMs ? StartedAtMs > other.StartedAtMs : Id > other.Id;
    }

    /// <summary>Whether both describe the same life of a node (incarnation aside).</summary>
    public bool IsSameLifeAs(MemberIdentity other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return StartedAtMs == other.StartedAtMs && Id == other.Id && Address == other.Address;
    }
}
