namespace Corrosion.Agent.Membership;

/// <summary>A membership change for the runtime (the actor shell forwards these to subscribers).</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Member">The member it happened to.</param>
/// <param name="Returned">
/// For <see cref="MemberNotificationKind.MemberUp"/>: the member was known and is back (alive again after
/// suspect or down, or a new life at its address), so what it wrote while unreachable may be missing here.
/// False for a member seen for the first time.
/// </param>
public sealed record MemberNotification(MemberNotificationKind Kind, MemberIdentity Member, bool Returned = false);
