namespace Corrosion.Agent.Actors;

/// <summary>
/// Configuration paths of the node's mailboxes, defined in the <c>akka.corrosion</c> section of
/// <c>hocon/reference.conf</c> (sizes and full-mode behaviour); each actor's <c>Props</c> names its own.
/// </summary>
public static class NodeMailboxes
{
    /// <summary>Mailbox of the storage actor (senders wait).</summary>
    public const string Storage = "akka.corrosion.storage-mailbox";

    /// <summary>Mailbox of the gossip actor (senders wait).</summary>
    public const string Gossip = "akka.corrosion.gossip-mailbox";

    /// <summary>Mailbox of the membership actor (senders wait; datagrams are capped below it).</summary>
    public const string Membership = "akka.corrosion.membership-mailbox";

    /// <summary>Mailbox of the subscription actor (senders wait; storage events are dropped when it is full).</summary>
    public const string Subscriptions = "akka.corrosion.subscriptions-mailbox";

    /// <summary>Mailbox of the gossip actor's storage-event listener (drops the newest when full).</summary>
    public const string GossipEvents = "akka.corrosion.gossip-events-mailbox";

    /// <summary>Mailbox of the bridge from membership to gossip (drops the oldest when full).</summary>
    public const string MemberEvents = "akka.corrosion.member-events-mailbox";

    /// <summary>Every mailbox above.</summary>
    public static IReadOnlyList<string> All { get; } =
        [Storage, Gossip, Membership, Subscriptions, GossipEvents, MemberEvents];
}
