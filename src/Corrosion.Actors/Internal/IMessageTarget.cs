namespace Corrosion.Actors.Internal;

/// <summary>What an <see cref="ActorRef{T}"/> points at: an actor's mailbox, an ask promise or a test probe.</summary>
internal interface IMessageTarget<in T>
    where T : notnull
{
    string Path { get; }

    ActorSystem System { get; }

    /// <summary>The actor behind the target, or null for promises and probes.</summary>
    ActorCell? Cell { get; }

    bool TryTell(T message);

    void Tell(T message);

    /// <summary>Enqueues, awaiting room in Wait mode. False when the message was not enqueued (dropped or stopped).</summary>
    ValueTask<bool> TellAsync(T message, CancellationToken cancellationToken);
}

/// <summary>Lets the kernel find the actor behind an untyped <see cref="IActorRef"/>.</summary>
internal interface IInternalActorRef
{
    ActorCell? Cell { get; }
}

/// <summary>An ask waiting for its reply; failed by the target when it stops.</summary>
internal interface IAskPromise
{
    void Fail(Exception exception);
}
