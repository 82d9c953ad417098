namespace Corrosion.Agent.Membership;

/// <summary>A membership change for the runtime (the actor shell forwards these to subscribers).</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Member">The member it happened to.</param>
public sealed record MemberNotification(MemberNotificationKind Kind, MemberIdentity Member);
