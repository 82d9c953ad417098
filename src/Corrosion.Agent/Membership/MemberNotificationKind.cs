namespace Corrosion.Agent.Membership;

/// <summary>A change in a member's state reported to the runtime.</summary>
public enum MemberNotificationKind
{
    /// <summary>A member became alive (joined, recovered from suspicion, or came back with a higher incarnation).</summary>
    MemberUp,

    /// <summary>A member is suspected of failure.</summary>
    MemberSuspect,

    /// <summary>A member was confirmed failed (or was replaced by a newer life at its address).</summary>
    MemberDown,

    /// <summary>A member left gracefully.</summary>
    MemberLeft,
}
