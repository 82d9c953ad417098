namespace Corrosion.Agent.Replication.Wire;

/// <summary>A liveness probe on a link; carries an opaque nonce.</summary>
/// <param name="Nonce">Echoed by whoever answers.</param>
public sealed record Ping(long Nonce) : WireMessage
{
    /// <inheritdoc />
    public override FrameKind Kind => FrameKind.Ping;
}
