using Corrosion.Agent.Subscriptions;

namespace Corrosion.Agent.Hosting;

/// <summary>The node refused a subscription or a table watch; <see cref="Error"/> says why.</summary>
public sealed class SubscriptionFailedException : Exception
{
    /// <summary>Creates the exception from the subscription actor's answer.</summary>
    public SubscriptionFailedException(SubscriptionError error)
        : base(error is null ? "the subscription was refused" : Describe(error))
    {
        ArgumentNullException.ThrowIfNull(error);
        Error = error;
    }

    /// <summary>Creates the exception.</summary>
    public SubscriptionFailedException()
        : this(new SubscriptionError(SubscriptionErrorKind.Unavailable, "the subscription was refused"))
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public SubscriptionFailedException(string message)
        : this(new SubscriptionError(SubscriptionErrorKind.Unavailable, message))
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public SubscriptionFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
        Error = new SubscriptionError(SubscriptionErrorKind.Unavailable, message);
    }

    /// <summary>The kind of failure, the node's message, and for an expired change id the oldest one kept.</summary>
    public SubscriptionError Error { get; }

    /// <summary>Shorthand for <c>Error.Kind</c>.</summary>
    public SubscriptionErrorKind Kind => Error.Kind;

    private static string Describe(SubscriptionError error) => error.Kind switch
    {
        SubscriptionErrorKind.ChangeIdExpired when error.OldestChangeId is { } oldest =>
            $"{error.Message} (oldest change id kept: {oldest})",
        _ => error.Message,
    };
}
