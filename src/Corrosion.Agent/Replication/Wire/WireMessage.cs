namespace Corrosion.Agent.Replication.Wire;

/// <summary>A message that travels between nodes in one gossip frame.</summary>
public abstract record WireMessage
{
    /// <summary>The frame kind this message is encoded as.</summary>
    public abstract FrameKind Kind { get; }
}
