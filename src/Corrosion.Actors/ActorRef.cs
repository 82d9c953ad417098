using System.Globalization;
using Corrosion.Actors.Internal;

namespace Corrosion.Actors;

/// <summary>A typed, thread-safe handle to an actor (or to an ask's reply slot, or a test probe).</summary>
/// <typeparam name="T">The messages the target accepts.</typeparam>
public sealed class ActorRef<T> : IActorRef, IInternalActorRef
    where T : notnull
{
    internal ActorRef(IMessageTarget<T> target) => Target = target;

    /// <inheritdoc />
    public string Path => Target.Path;

    internal IMessageTarget<T> Target { get; }

    ActorCell? IInternalActorRef.Cell => Target.Cell;

    /// <summary>
    /// Sends a message. In Wait mode a full mailbox blocks the caller until there is room (backpressure); drop modes never block.
    /// A message to a stopped actor is a dead letter (counted). From inside a handler prefer <see cref="TryTell"/> or
    /// <see cref="TellAsync"/> toward yourself or your parent: a blocking Tell into a full mailbox that only you (or a
    /// parent stopping you) would drain cannot complete.
    /// </summary>
    /// <param name="message">The message.</param>
    public void Tell(T message) => Target.Tell(message);

    /// <summary>Sends without ever blocking.</summary>
    /// <param name="message">The message.</param>
    /// <returns>False when it was not enqueued: the mailbox is full (Wait or DropNewest mode) or the actor is stopped.</returns>
    public bool TryTell(T message) => Target.TryTell(message);

    /// <summary>Sends, awaiting room in a full Wait-mode mailbox.</summary>
    /// <param name="message">The message.</param>
    /// <param name="cancellationToken">Stops waiting for room.</param>
    /// <returns>Completes when enqueued (or dropped, in drop modes or to a stopped actor).</returns>
    public ValueTask TellAsync(T message, CancellationToken cancellationToken = default)
    {
        var pending = Target.TellAsync(message, cancellationToken);
        if (pending.IsCompletedSuccessfully)
        {
            _ = pending.Result;
            return ValueTask.CompletedTask;
        }

        return new ValueTask(pending.AsTask());
    }

    /// <summary>
    /// Request-response: builds a message around a temporary reply reference and awaits the first reply.
    /// </summary>
    /// <typeparam name="TReply">The reply type.</typeparam>
    /// <param name="createMessage">Builds the request from the reply reference.</param>
    /// <param name="timeout">How long to wait, on the system's <see cref="TimeProvider"/>.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The reply.</returns>
    /// <exception cref="AskTimeoutException">No reply in time; a later reply is dropped as a dead letter.</exception>
    /// <exception cref="ActorStoppedException">The target is (or becomes) stopped.</exception>
    public async Task<TReply> Ask<TReply>(Func<ActorRef<TReply>, T> createMessage, TimeSpan timeout, CancellationToken cancellationToken = default)
        where TReply : notnull
    {
        ArgumentNullException.ThrowIfNull(createMessage);
        if (timeout <= TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), "The timeout must be positive.");
        }

        var system = Target.System;
        var promise = new AskPromise<TReply>(system, system.NextTempPath());
        var cell = Target.Cell;
        if (cell is not null && !cell.RegisterAsk(promise))
        {
            throw Stopped();
        }

        try
        {
            var message = createMessage(promise.Ref);
            using var timer = system.Time.CreateTimer(
                static s =>
                {
                    var (p, text) = ((AskPromise<TReply>, string))s!;
                    p.Fail(new AskTimeoutException(text));
                },
                (promise, string.Format(CultureInfo.InvariantCulture, "Ask to {0} timed out after {1} ms.", Path, timeout.TotalMilliseconds)),
                timeout,
                Timeout.InfiniteTimeSpan);
            using var registration = cancellationToken.Register(
                static s => ((AskPromise<TReply>)s!).Cancel(CancellationToken.None), promise);

            var sending = Target.TellAsync(message, cancellationToken);
            bool enqueued;
            if (sending.IsCompletedSuccessfully)
            {
                enqueued = sending.Result;
            }
            else
            {
                var sendTask = sending.AsTask();
                await Task.WhenAny(sendTask, promise.Task);
                if (!sendTask.IsCompleted)
                {
                    // Timed out, cancelled or stopped while waiting for room.
                    return await promise.Task;
                }

                enqueued = await sendTask;
            }

            if (!enqueued && cell is { IsStopping: true })
            {
                throw Stopped();
            }

            return await promise.Task;
        }
        finally
        {
            cell?.UnregisterAsk(promise);
        }
    }

    /// <inheritdoc />
    public override string ToString() => Path;

    private ActorStoppedException Stopped() => new($"Cannot ask {Path}: the actor is stopped.");
}
