namespace Corrosion.Agent.Membership;

/// <summary>A snapshot of one member as this node sees it.</summary>
/// <param name="Identity">The member's identity, with the latest incarnation known.</param>
/// <param name="State">The member's state.</param>
/// <param name="LastRttMs">Round trip of the last direct probe answered, if any.</param>
public sealed record MemberInfo(MemberIdentity Identity, MemberState State, long? LastRttMs)
{
    /// <summary>The member's actor id.</summary>
    public Storage.ActorId Id => Identity.Id;

    /// <summary>The member's gossip address.</summary>
    public NodeAddress Address => Identity.Address;

    /// <summary>The member's incarnation.</summary>
    public long Incarnation => Identity.Incarnation;
}
