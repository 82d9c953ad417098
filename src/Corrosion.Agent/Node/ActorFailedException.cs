namespace Corrosion.Agent.Node;

/// <summary>An actor of the node kept failing and its supervisor gave up; the node stopped.</summary>
public sealed class ActorFailedException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="actor">The actor's name (storage, membership, gossip, subscriptions…).</param>
    /// <param name="cause">Its last failure.</param>
    public ActorFailedException(string actor, Exception cause)
        : base($"actor {actor} kept failing: {cause?.Message}", cause) => Actor = actor;

    /// <summary>Creates the exception.</summary>
    public ActorFailedException()
        : base("an actor of the node kept failing") => Actor = string.Empty;

    /// <summary>Creates the exception.</summary>
    public ActorFailedException(string message)
        : base(message) => Actor = string.Empty;

    /// <summary>The actor's name.</summary>
    public string Actor { get; }
}
