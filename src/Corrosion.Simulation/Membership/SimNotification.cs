using Corrosion.Agent.Membership;

namespace Corrosion.Simulation.Membership;

/// <summary>A membership notification seen in a simulation.</summary>
/// <param name="TimeMs">Virtual time.</param>
/// <param name="Observer">Node that reported it.</param>
/// <param name="Kind">What it reported.</param>
/// <param name="Subject">Node it is about.</param>
/// <param name="Member">The identity reported.</param>
public sealed record SimNotification(long TimeMs, int Observer, MemberNotificationKind Kind, int Subject, MemberIdentity Member);
