namespace Corrosion.Agent.Membership;

/// <summary>
/// A timer the core asked for. The core ignores a timer whose token no longer matches its state, so a
/// runtime may just deliver each one back through <see cref="Swim.HandleTimer"/> when it fires; the core
/// also says when a timer stopped mattering (<see cref="ISwimRuntime.CancelTimer"/>: a probe's or a
/// relay's timeout once the ack came), so that a shell can drop it.
/// </summary>
/// <param name="Kind">Which timer.</param>
/// <param name="Token">Identifies the state the timer belongs to (probe sequence, suspicion generation...).</param>
/// <param name="Member">The member concerned, for per-member timers.</param>
public readonly record struct SwimTimer(SwimTimerKind Kind, long Token, NodeAddress Member = default);
