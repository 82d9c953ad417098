using Akka.Actor;
using Corrosion.Agent.Actors;
using Corrosion.Agent.Membership;
using Corrosion.Agent.Replication;

namespace Corrosion.Agent.Node;

/// <summary>
/// Tells the gossip actor who its peers are: membership's up/down/left events become
/// <see cref="PeerUp"/>/<see cref="PeerDown"/> (<see cref="PeerReturned"/> for a known member that came
/// back, which gossip syncs with at once). No timer: the bridge reads the whole member list only when
/// it may have missed something: a gap in the events' numbers (this actor's drop-oldest mailbox,
/// <see cref="NodeMailboxes.MemberEvents"/>, dropped some; the newest always arrive, so every drop
/// shows as a gap), and <see cref="ResyncMembers"/> from the supervisor after it restarted membership
/// (which forgot its subscribers) or gossip (which forgot its peers). An idle node's bridge does nothing.
/// A member's gossip address is its SWIM address (same port).
/// </summary>
public sealed class MemberGossipBridge : UntypedActor
{
    private readonly ActorRef<MembershipCommand> _membership;
    private readonly ActorRef<GossipCommand> _gossip;
    // The number the next member event should carry (events are numbered from 1 per subscription).
    private long _expected = 1;

    /// <summary>Creates the bridge (use <see cref="Props"/>).</summary>
    public MemberGossipBridge(ActorRef<MembershipCommand> membership, ActorRef<GossipCommand> gossip)
    {
        _membership = membership;
        _gossip = gossip;
    }

    /// <summary>The bridge's props, with its drop-oldest mailbox.</summary>
    /// <param name="membership">Where member events come from.</param>
    /// <param name="gossip">Where peers go.</param>
    /// <returns>The props.</returns>
    public static Props Props(ActorRef<MembershipCommand> membership, ActorRef<GossipCommand> gossip) =>
        Akka.Actor.Props.Create(() => new MemberGossipBridge(membership, gossip)).WithMailbox(NodeMailboxes.MemberEvents);

    /// <inheritdoc />
    protected override void PreStart() => Subscribe();

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case MemberEvent memberEvent:
                OnMemberEvent(memberEvent);
                break;
            case ResyncMembers:
                Subscribe();
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

    private void Subscribe()
    {
        _expected = 1;
        _membership.Tell(new SubscribeMembers(Self.Typed<MemberEvent>()));
    }

    private void OnMemberEvent(MemberEvent message)
    {
        if (message.Sequence != _expected)
        {
            // Events were dropped (or this one is from before a resubscription): the member list says what is true now.
            _membership.Tell(new GetMembers(Self.Typed<MembersSnapshot>()));
        }

        _expected = message.Sequence + 1;
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

    /// <summary>From the supervisor after it restarted membership or gossip: subscribe again and announce the whole member list.</summary>
    internal sealed record ResyncMembers
    {
        public static ResyncMembers Instance { get; } = new();
    }
}
