using Corrosion.Actors;
using Corrosion.Agent.Membership;
using Corrosion.Agent.Replication;

namespace Corrosion.Agent.Node;

/// <summary>
/// Tells the gossip actor who its peers are: membership's up/down/left events become
/// <see cref="PeerUp"/>/<see cref="PeerDown"/>, and a periodic reconciliation against the member list
/// covers events membership had to drop. A member's gossip address is its SWIM address (same port).
/// </summary>
public sealed class MemberGossipBridge : Actor<MemberEvent>
{
    private static readonly TimeSpan ReconcileEvery = TimeSpan.FromSeconds(5);
    private readonly ActorRef<MembershipCommand> _membership;
    private readonly ActorRef<GossipCommand> _gossip;
    private ActorRef<MembersSnapshot>? _snapshots;

    /// <summary>Creates the bridge.</summary>
    public MemberGossipBridge(ActorRef<MembershipCommand> membership, ActorRef<GossipCommand> gossip)
    {
        _membership = membership;
        _gossip = gossip;
    }

    /// <inheritdoc />
    protected override ValueTask PreStart()
    {
        _membership.TryTell(new SubscribeMembers(Context.Self));
        var gossip = _gossip;
        _snapshots = Context.Spawn(() => new SnapshotForwarder(gossip), "snapshots");
        Context.Timers.StartPeriodicTimer("reconcile", new MemberEvent(MemberNotificationKind.MemberUp, default!), ReconcileEvery);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    protected override ValueTask OnReceive(MemberEvent message)
    {
        if (message.Member is null)
        {
            // The reconcile tick: ask for the member list; the forwarder re-announces live members.
            _membership.TryTell(new GetMembers(_snapshots!));
            return ValueTask.CompletedTask;
        }

        switch (message.Kind)
        {
            case MemberNotificationKind.MemberUp:
                _gossip.TryTell(new PeerUp(message.Member.Id, message.Member.Address.ToEndPoint()));
                break;
            case MemberNotificationKind.MemberDown or MemberNotificationKind.MemberLeft:
                _gossip.TryTell(new PeerDown(message.Member.Id));
                break;
        }

        return ValueTask.CompletedTask;
    }

    private sealed class SnapshotForwarder(ActorRef<GossipCommand> gossip) : Actor<MembersSnapshot>
    {
        protected override ValueTask OnReceive(MembersSnapshot message)
        {
            foreach (var member in message.Members)
            {
                if (member.Id == message.Self.Id)
                {
                    continue;
                }

                GossipCommand command = member.State is MemberState.Alive or MemberState.Suspect
                    ? new PeerUp(member.Id, member.Address.ToEndPoint())
                    : new PeerDown(member.Id);
                gossip.TryTell(command);
            }

            return ValueTask.CompletedTask;
        }
    }
}
