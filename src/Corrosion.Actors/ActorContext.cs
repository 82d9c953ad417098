using Corrosion.Actors.Internal;
using Microsoft.Extensions.Logging;

namespace Corrosion.Actors;

/// <summary>An actor's view of the kernel. Use it only from the actor's own handlers (it is not thread-safe).</summary>
/// <typeparam name="T">The actor's protocol.</typeparam>
public sealed class ActorContext<T>
    where T : notnull
{
    private readonly ActorCell<T> cell;
    private ILogger? log;

    internal ActorContext(ActorCell<T> cell) => this.cell = cell;

    /// <summary>This actor's reference.</summary>
    public ActorRef<T> Self => cell.Self;

    /// <summary>The system the actor lives in.</summary>
    public ActorSystem System => cell.System;

    /// <summary>A logger whose category is the actor's type.</summary>
    public ILogger Log => log ?? System.KernelLogger;

    /// <summary>The system's clock (use it rather than <see cref="DateTimeOffset.UtcNow"/> so tests control time).</summary>
    public TimeProvider Time => cell.System.Time;

    /// <summary>The live children, a snapshot.</summary>
    public IReadOnlyCollection<IActorRef> Children => cell.ChildRefs;

    /// <summary>Timers whose ticks arrive as messages in this actor's mailbox; cancelled on stop and restart.</summary>
    public TimerScheduler<T> Timers => cell.Timers;

    /// <summary>Starts a child supervised by this actor's <see cref="Actor{T}.SupervisorStrategy"/>.</summary>
    /// <typeparam name="TChild">The child's protocol.</typeparam>
    /// <param name="factory">Creates a fresh instance (called again on every restart).</param>
    /// <param name="name">Unique among this actor's live children; no '/'.</param>
    /// <param name="mailbox">Mailbox options; default: the system's default.</param>
    /// <returns>The child's reference.</returns>
    public ActorRef<TChild> Spawn<TChild>(Func<Actor<TChild>> factory, string name, MailboxOptions? mailbox = null)
        where TChild : notnull => cell.SpawnChild(factory, name, mailbox);

    /// <summary>Stops a child (after its current message), or this actor itself when given <see cref="Self"/>.</summary>
    /// <param name="child">A child of this actor, or Self.</param>
    public void Stop(IActorRef child)
    {
        var target = CellOf(child);
        if (!ReferenceEquals(target, cell) && !cell.IsChild(target))
        {
            if (target.IsStopping)
            {
                return;
            }

            throw new ArgumentException($"{child.Path} is not a child of {cell.Path}.", nameof(child));
        }

        target.SendSystem(new StopCommand(null));
    }

    /// <summary>Delivers <see cref="Terminated"/> to <see cref="Actor{T}.OnSignal"/> when <paramref name="other"/> stops (at once if it already has).</summary>
    /// <param name="other">The actor to watch.</param>
    public void Watch(IActorRef other) => cell.Watch(CellOf(other));

    /// <summary>Stops watching; a <see cref="Terminated"/> not yet handled is no longer delivered.</summary>
    /// <param name="other">The watched actor.</param>
    public void Unwatch(IActorRef other) => cell.Unwatch(CellOf(other));

    internal void AttachLogger(ILoggerFactory factory, Type actorType) => log = factory.CreateLogger(actorType);

    private static ActorCell CellOf(IActorRef other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return (other as IInternalActorRef)?.Cell
            ?? throw new ArgumentException($"{other.Path} is not an actor (asks and probes cannot be watched or stopped).", nameof(other));
    }
}
