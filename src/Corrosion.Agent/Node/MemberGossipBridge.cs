using Akka.Actor;
using Corrosion.Agent.Actors;
using Corrosion.Agent.Membership;
using Corrosion.Agent.Replication;

namespace Corrosion.Agent.Node;

/// <summary>
/// Tells the gossip actor who its peers are: membership's up/down/left events become
/// <see cref="PeerUp"/>/<see cref="PeerDown"/> (<see cref="PeerReturned"/> for a known member that came
/// back, which gossip syncs with at once), and a periodic reconciliation against the member list
/// covers events this actor's drop-oldest mailbox (<see cref="NodeMailboxes.MemberEvents"/>) had to
/// drop. A member's gossip address is its SWIM address (same port).
/// </summary>
public sealed class MemberGossipBridge : UntypedActor, IWithTimers
{
    /// <summary>How often the bridge re-announces the member list to gossip.</summary>
    public static readonly TimeSpan ReconcileEvery = TimeSpan.FromSeconds(5);

    private readonly ActorRef<MembershipCommand> _membership;
    private readonly ActorRef<GossipCommand> _gossip;

    /// <summary>Creates the bridge (use <see cref="Props"/>).</summary>
    public MemberGossipBridge(ActorRef<MembershipCommand> membership, ActorRef<GossipCommand> gossip)
    {
        _membership = membership;
        _gossip = gossip;
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>The bridge's props, with its drop-oldest mailbox.</summary>
    /// <param name="membership">Where member events come from.</param>
    /// <param name="gossip">Where peers go.</param>
    /// <returns>The props.</returns>
    public static Props Props(ActorRef<MembershipCommand> membership, ActorRef<GossipCommand> gossip) =>
        Akka.Actor.Props.Create(() => new MemberGossipBridge(membership, gossip)).WithMailbox(NodeMailboxes.MemberEvents);

    /// <inheritdoc />
    protected override void PreStart()
    {
        _membership.Tell(new SubscribeMembers(Self.Typed<MemberEvent>()));
        Timers.StartPeriodicTimer(nameof(ReconcileMembers), ReconcileMembers.Instance, ReconcileEvery);
    }

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case MemberEvent memberEvent:
                OnMemberEvent(memberEvent);
                break;
            case ReconcileMembers:
                _membership.Tell(new GetMembers(Self.Typed<MembersSnapshot>()));
                break;
            case MembersSnapshot snapshot:
                OnSnapshot(snapshot);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void OnMemberEvent(MemberEvent message)
    {
        switch (message.Kind)
        {
            case MemberNotificationKind.MemberUp when message.Returned:
                _gossip.Tell(new PeerReturned(message.Member.Id, message.Member.Address.ToEndPoint()));
                break;
            case MemberNotificationKind.MemberUp:
                _gossip.Tell(new PeerUp(message.Member.Id, message.Member.Address.ToEndPoint()));
                break;
            case MemberNotificationKind.MemberDown or MemberNotificationKind.MemberLeft:
                _gossip.Tell(new PeerDown(message.Member.Id));
                break;
        }
    }

    private void OnSnapshot(MembersSnapshot snapshot)
    {
        foreach (var member in snapshot.Members)
        {
            if (member.Id == snapshot.Self.Id)
            {
                continue;
            }

            GossipCommand command = member.State is MemberState.Alive or MemberState.Suspect
                ? new PeerUp(member.Id, member.Address.ToEndPoint())
                : new PeerDown(member.Id);
            _gossip.Tell(command);
        }
    }

    /// <summary>The reconciliation timer's tick.</summary>
    internal sealed record ReconcileMembers
    {
        public static ReconcileMembers Instance { get; } = new();
    }
}
