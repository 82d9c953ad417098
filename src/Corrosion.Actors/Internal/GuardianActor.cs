namespace Corrosion.Actors.Internal;

/// <summary>The user guardian: parent of top-level actors; its strategy comes from the system options.</summary>
internal sealed class GuardianActor(SupervisorStrategy strategy) : Actor<GuardianActor.Nothing>
{
    internal sealed record Nothing;

    protected internal override SupervisorStrategy SupervisorStrategy => strategy;

    protected internal override ValueTask OnReceive(Nothing message) => ValueTask.CompletedTask;
}
