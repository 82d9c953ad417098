namespace Corrosion.Client;

/// <summary>
/// The node no longer keeps the changes after the requested change id (HTTP 410): resuming from
/// there would skip changes, so the node refuses. Subscribe again (the initial rows rebuild the state)
/// or resume from <see cref="OldestChangeId"/> if losing the changes in between is acceptable.
/// </summary>
public sealed class ChangeIdExpiredException : CorrosionException
{
    /// <summary>Creates the exception with the server's message and the oldest change id it still keeps.</summary>
    public ChangeIdExpiredException(string message, long? oldestChangeId)
        : base(410, message) => OldestChangeId = oldestChangeId;

    /// <summary>Creates the exception.</summary>
    public ChangeIdExpiredException()
        : base(410, "change id expired")
    {
    }

    /// <summary>Creates the exception.</summary>
    public ChangeIdExpiredException(string message)
        : base(410, message)
    {
    }

    /// <summary>Creates the exception with a cause.</summary>
    public ChangeIdExpiredException(string message, Exception innerException)
        : base(410, message, innerException)
    {
    }

    /// <summary>The oldest change id the node still keeps for the subscription, when it said so.</summary>
    public long? OldestChangeId { get; }
}
