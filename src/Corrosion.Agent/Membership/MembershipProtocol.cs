using Corrosion.Agent.Actors;

namespace Corrosion.Agent.Membership;

/// <summary>A message to <see cref="MembershipActor"/>.</summary>
public abstract record MembershipCommand;

/// <summary>
/// Adds a subscriber to member events. It first receives a <see cref="MemberEvent"/> of kind
/// <see cref="MemberNotificationKind.MemberUp"/> for every member alive or suspect now, then every change.
/// The events of one subscription are numbered 1, 2, 3, … (<see cref="MemberEvent.Sequence"/>), so a
/// subscriber whose mailbox dropped some sees a gap. Subscribing again (the same subscriber) restarts
/// its numbering and the replay; it never adds a second subscription.
/// </summary>
/// <param name="Subscriber">Receives the events; its mailbox must not make senders wait (a full subscriber loses events, never blocks SWIM).</param>
public sealed record SubscribeMembers(ActorRef<MemberEvent> Subscriber) : MembershipCommand;

/// <summary>Asks for the current view of the cluster.</summary>
/// <param name="ReplyTo">Receives the snapshot.</param>
public sealed record GetMembers(ActorRef<MembersSnapshot> ReplyTo) : MembershipCommand;

/// <summary>
/// Announces this node again (<c>corrosion cluster rejoin</c>): to every member it remembers and to the
/// bootstrap list, resolved afresh, re-announcing with back-off until someone answers.
/// </summary>
/// <param name="ReplyTo">Receives what was announced to.</param>
public sealed record Rejoin(ActorRef<RejoinOutcome> ReplyTo) : MembershipCommand;

/// <summary>The answer to <see cref="Rejoin"/>.</summary>
/// <param name="KnownMembers">Remembered members announced to now.</param>
/// <param name="BootstrapEntries">Bootstrap entries being resolved and announced to.</param>
public sealed record RejoinOutcome(int KnownMembers, int BootstrapEntries);

/// <summary>A member changed state.</summary>
/// <param name="Kind">Up, suspect, down or left.</param>
/// <param name="Member">The member, with the incarnation the change was seen at.</param>
/// <param name="Returned">
/// With <see cref="MemberNotificationKind.MemberUp"/>: a known member came back (alive after suspect or down,
/// or a new life at its address), so it may hold writes this node missed; false for a first sighting.
/// </param>
/// <param name="Sequence">This event's number in its subscription (1 for the first event after <see cref="SubscribeMembers"/>); 0 when not numbered.</param>
public sealed record MemberEvent(MemberNotificationKind Kind, MemberIdentity Member, bool Returned = false, long Sequence = 0);

/// <summary>This node's view of the cluster.</summary>
/// <param name="Self">This node (always alive in its own view).</param>
/// <param name="Members">The other members known, down and left ones included while remembered.</param>
/// <param name="PacketsReceived">Datagrams accepted by the SWIM core.</param>
/// <param name="PacketsRejected">Datagrams dropped by the core as malformed, foreign or late.</param>
/// <param name="DatagramsDropped">Datagrams dropped unread because too many were already queued (overload).</param>
public sealed record MembersSnapshot(MemberInfo Self, IReadOnlyList<MemberInfo> Members, long PacketsReceived, long PacketsRejected, long DatagramsDropped = 0)
{
    /// <summary>Members alive or suspect, this node included (what <c>/v1/health</c> reports).</summary>
    public int LiveCount => 1 + Members.Count(m => m.State is MemberState.Alive or MemberState.Suspect);
}

/// <summary>A datagram arrived on the gossip socket.</summary>
internal sealed record DatagramReceived(byte[] Data, NodeAddress From) : MembershipCommand;

/// <summary>Hosts refused datagrams sent to these addresses (ICMP port unreachable, from the socket's error queue).</summary>
internal sealed record DatagramsRefused(IReadOnlyList<NodeAddress> To) : MembershipCommand;

/// <summary>A timer the SWIM core set has fired.</summary>
internal sealed record SwimTimerFired(SwimTimer Timer) : MembershipCommand;

/// <summary>Bootstrap names were resolved (possibly to nothing).</summary>
internal sealed record BootstrapResolved(IReadOnlyList<NodeAddress> Addresses, string? Error) : MembershipCommand;

/// <summary>Time to resolve the bootstrap list again, if the node is still alone.</summary>
internal sealed record ResolveBootstrap : MembershipCommand
{
    public static ResolveBootstrap Instance { get; } = new();
}

/// <summary>Time to write the member list to the database.</summary>
internal sealed record PersistMembers : MembershipCommand
{
    public static PersistMembers Instance { get; } = new();
}

/// <summary>Storage did not answer with the remembered members in time: start without them.</summary>
internal sealed record MembersLoadTimedOut : MembershipCommand
{
    public static MembersLoadTimedOut Instance { get; } = new();
}
