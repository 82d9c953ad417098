namespace Corrosion.Actors;

/// <summary>
/// Base class of an actor handling messages of type <typeparamref name="T"/>, one at a time, in mailbox order.
/// Async handlers are awaited before the next message. A thrown exception goes to the parent's supervisor strategy.
/// </summary>
/// <typeparam name="T">The actor's protocol (usually an abstract record with sealed record cases).</typeparam>
public abstract class Actor<T>
    where T : notnull
{
    private ActorContext<T>? context;

    /// <summary>The actor's view of the kernel; set before <see cref="PreStart"/> (not available in the constructor).</summary>
    protected ActorContext<T> Context =>
        context ?? throw new InvalidOperationException("The context is set by the kernel before PreStart; it is not available in the constructor.");

    /// <summary>How this actor supervises its children. Default: <see cref="SupervisorStrategy.Default"/>.</summary>
    protected internal virtual SupervisorStrategy SupervisorStrategy => SupervisorStrategy.Default;

    /// <summary>Handles one message.</summary>
    /// <param name="message">The message.</param>
    /// <returns>Completes when the message is handled; the next message waits for it.</returns>
    protected internal abstract ValueTask OnReceive(T message);

    /// <summary>Runs before the first message, after every restart too.</summary>
    /// <returns>Completes when started.</returns>
    protected internal virtual ValueTask PreStart() => ValueTask.CompletedTask;

    /// <summary>Runs once when the actor stops, after its children have stopped.</summary>
    /// <returns>Completes when cleaned up.</returns>
    protected internal virtual ValueTask PostStop() => ValueTask.CompletedTask;

    /// <summary>Runs on the failed instance before it is replaced. Default: nothing (the kernel stops children and timers).</summary>
    /// <param name="cause">The failure that led to the restart.</param>
    /// <returns>Completes when done.</returns>
    protected internal virtual ValueTask PreRestart(Exception cause) => ValueTask.CompletedTask;

    /// <summary>Handles a lifecycle signal such as <see cref="Terminated"/>. Default: ignore.</summary>
    /// <param name="signal">The signal.</param>
    /// <returns>Completes when handled.</returns>
    protected internal virtual ValueTask OnSignal(Signal signal) => ValueTask.CompletedTask;

    internal void Attach(ActorContext<T> actorContext) => context = actorContext;
}
