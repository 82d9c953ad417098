using Akka.Actor;
using Corrosion.Agent.Actors;
using Corrosion.Agent.Membership;
using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Node;

/// <summary>A message to <see cref="NodeSupervisor"/>.</summary>
public abstract record NodeCommand;

/// <summary>Asks for the references of the node's actors.</summary>
/// <param name="ReplyTo">Receives them.</param>
public sealed record GetNodeActors(ActorRef<NodeActors> ReplyTo) : NodeCommand;

/// <summary>A failed child's backoff is over: restart it (a timer of the supervisor).</summary>
/// <param name="Child">The failed child, suspended since it failed.</param>
/// <param name="Cause">Its failure.</param>
internal sealed record RestartChild(IActorRef Child, Exception Cause) : NodeCommand;

/// <summary>The node's actors.</summary>
/// <param name="Storage">The writer.</param>
/// <param name="Membership">SWIM membership, or null when the node runs without it.</param>
/// <param name="Gossip">Replication, or null when the node runs without it.</param>
/// <param name="Subscriptions">Live queries and table watchers, or null when the node runs without them.</param>
public sealed record NodeActors(
    ActorRef<StorageCommand> Storage,
    ActorRef<MembershipCommand>? Membership = null,
    ActorRef<Replication.GossipCommand>? Gossip = null,
    ActorRef<Subscriptions.SubscriptionCommand>? Subscriptions = null);
