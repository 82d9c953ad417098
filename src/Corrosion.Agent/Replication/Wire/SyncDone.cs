namespace Corrosion.Agent.Replication.Wire;

/// <summary>The sender has sent all it will send in this sync session.</summary>
public sealed record SyncDone : WireMessage
{
    /// <summary>The single instance (the message carries nothing).</summary>
    public static SyncDone Instance { get; } = new();

    /// <inheritdoc />
    public override FrameKind Kind => FrameKind.SyncDone;
}
