namespace Corrosion.Agent.Subscriptions;

/// <summary>
/// Completes a listener's change channel when its bounded buffer overflowed; the listener resumes
/// from <see cref="LastDeliveredChangeId"/> (the last change it was given) with <c>from=</c>.
/// </summary>
public sealed class SubscriberTooSlowException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SubscriberTooSlowException(long lastDeliveredChangeId)
        : base($"the subscriber fell behind and its buffer overflowed; resume with from={lastDeliveredChangeId}")
    {
        LastDeliveredChangeId = lastDeliveredChangeId;
    }

    /// <summary>Creates the exception (serialization-free default).</summary>
    public SubscriberTooSlowException()
        : base("the subscriber fell behind and its buffer overflowed")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public SubscriberTooSlowException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public SubscriberTooSlowException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The last change id put into the listener's buffer before it overflowed.</summary>
    public long LastDeliveredChangeId { get; }
}
