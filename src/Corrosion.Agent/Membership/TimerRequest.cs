namespace Corrosion.Agent.Membership;

/// <summary>A timer the core wants set.</summary>
/// <param name="Timer">The timer to hand back.</param>
/// <param name="DelayMs">After how long.</param>
public readonly record struct TimerRequest(SwimTimer Timer, long DelayMs);
