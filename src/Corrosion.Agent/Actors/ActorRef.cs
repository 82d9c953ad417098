using Akka.Actor;

namespace Corrosion.Agent.Actors;

/// <summary>
/// An Akka actor reference that accepts messages of one protocol, so message records can say what a
/// reply channel takes (<c>ActorRef&lt;TransactionOutcome&gt; ReplyTo</c>). A thin wrapper: equality,
/// death watch and paths are those of <see cref="Untyped"/>.
/// </summary>
/// <typeparam name="T">The messages the target accepts.</typeparam>
public sealed class ActorRef<T> : IEquatable<ActorRef<T>>
    where T : notnull
{
    /// <summary>Wraps an Akka reference.</summary>
    /// <param name="untyped">The actor (or ask reply slot, or test probe) that accepts <typeparamref name="T"/>.</param>
    public ActorRef(IActorRef untyped)
    {
        ArgumentNullException.ThrowIfNull(untyped);
        Untyped = untyped;
    }

    /// <summary>The Akka reference.</summary>
    public IActorRef Untyped { get; }

    /// <summary>The actor's path.</summary>
    public ActorPath Path => Untyped.Path;

    /// <summary>
    /// Sends a message without a sender. Never waits, except into a bounded mailbox that makes
    /// senders wait (the storage, gossip, membership and subscription actors): then up to that
    /// mailbox's push timeout, after which the message is a dead letter (counted).
    /// </summary>
    /// <param name="message">The message.</param>
    public void Tell(T message) => Untyped.Tell(message, ActorRefs.NoSender);

    /// <summary>Sends a message with an explicit sender.</summary>
    /// <param name="message">The message.</param>
    /// <param name="sender">Who replies go to (<c>Self</c> inside an actor).</param>
    public void Tell(T message, IActorRef sender) => Untyped.Tell(message, sender);

    /// <summary>
    /// Request-response through Akka's <c>Ask</c>: builds the request around a temporary reply
    /// reference and awaits the first reply. For the edges (HTTP handlers, the in-process client,
    /// session tasks, tests); actors tell with an explicit reply-to instead.
    /// </summary>
    /// <typeparam name="TReply">The reply type.</typeparam>
    /// <param name="createMessage">Builds the request from the reply reference.</param>
    /// <param name="timeout">How long to wait (positive).</param>
    /// <param name="cancellationToken">Stops waiting (the request may still be handled).</param>
    /// <returns>The reply.</returns>
    /// <exception cref="AskTimeoutException">No reply in time (the target is busy, stopped, or lost the request).</exception>
    public Task<TReply> Ask<TReply>(Func<ActorRef<TReply>, T> createMessage, TimeSpan timeout, CancellationToken cancellationToken = default)
        where TReply : notnull
    {
        ArgumentNullException.ThrowIfNull(createMessage);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        return Untyped.Ask<TReply>(reply => createMessage(new ActorRef<TReply>(reply)), timeout, cancellationToken);
    }

    /// <inheritdoc />
    public bool Equals(ActorRef<T>? other) => other is not null && Untyped.Equals(other.Untyped);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ActorRef<T> other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => Untyped.GetHashCode();

    /// <inheritdoc />
    public override string ToString() => Untyped.ToString()!;
}
