namespace Corrosion.Actors;

/// <summary>The target of an ask is stopped (or stopped before replying).</summary>
public sealed class ActorStoppedException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public ActorStoppedException()
        : base("The actor is stopped.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public ActorStoppedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public ActorStoppedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
