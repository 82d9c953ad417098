namespace Corrosion.Agent.Membership;

/// <summary>
/// A timer the core asked for. Timers are never cancelled: the core ignores a timer whose token no
/// longer matches its state, so the runtime just delivers each one back through
/// <see cref="Swim.HandleTimer"/> when it fires.
/// </summary>
/// <param name="Kind">Which timer.</param>
/// <param name="Token">Identifies the state the timer belongs to (probe sequence, suspicion generation...).</param>
/// <param name="Member">The member concerned, for per-member timers.</param>
public readonly record struct SwimTimer(SwimTimerKind Kind, long Token, NodeAddress Member = default);
