namespace Corrosion.Agent.Membership;

/// <summary>The kinds of SWIM datagrams.</summary>
public enum SwimMessageType : byte
{
    /// <summary>Direct probe; answered with <see cref="Ack"/>.</summary>
    Ping = 1,

    /// <summary>Answer to a ping (or forwarded answer of an indirect probe).</summary>
    Ack = 2,

    /// <summary>Asks the receiver to probe <c>Target</c> on the sender's behalf.</summary>
    PingReq = 3,

    /// <summary>An indirect probe went unanswered (Lifeguard): the relay itself is healthy.</summary>
    Nack = 4,

    /// <summary>A joining node introduces itself; answered with <see cref="Feed"/>.</summary>
    Announce = 5,

    /// <summary>A batch of members for a joining node, carried as updates.</summary>
    Feed = 6,

    /// <summary>Just updates.</summary>
    Gossip = 7,
}
