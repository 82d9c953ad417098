using Akka.Actor;

namespace Corrosion.Agent.Actors;

/// <summary>Typed views of Akka references.</summary>
public static class ActorRefExtensions
{
    /// <summary>A typed view of an Akka reference.</summary>
    /// <typeparam name="T">The messages the target accepts.</typeparam>
    /// <param name="actor">The reference (often <c>Self</c>).</param>
    /// <returns>The typed reference.</returns>
    public static ActorRef<T> Typed<T>(this IActorRef actor)
        where T : notnull => new(actor);
}
