namespace Corrosion.Agent.Membership;

/// <summary>A rumour about one member, piggybacked on packets.</summary>
/// <param name="Member">The member and its incarnation.</param>
/// <param name="State">The state claimed.</param>
/// <param name="From">For suspicions, who suspects (Lifeguard counts independent suspecters).</param>
public readonly record struct MemberUpdate(MemberIdentity Member, MemberState State, NodeAddress From = default);
