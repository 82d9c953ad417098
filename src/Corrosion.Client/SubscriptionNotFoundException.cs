namespace Corrosion.Client;

/// <summary>
/// The node does not know the subscription (HTTP 404): it expired after being idle, was dropped, or
/// the id is wrong. Subscribe again with the statement.
/// </summary>
public sealed class SubscriptionNotFoundException : CorrosionException
{
    /// <summary>Creates the exception for a subscription id and the server's message.</summary>
    public SubscriptionNotFoundException(string queryId, string message)
        : base(404, $"subscription {queryId} not found: {message}") => QueryId = queryId;

    /// <summary>Creates the exception.</summary>
    public SubscriptionNotFoundException()
        : base(404, "subscription not found")
    {
    }

    /// <summary>Creates the exception.</summary>
    public SubscriptionNotFoundException(string message)
        : base(404, message)
    {
    }

    /// <summary>Creates the exception with a cause.</summary>
    public SubscriptionNotFoundException(string message, Exception innerException)
        : base(404, message, innerException)
    {
    }

    /// <summary>The subscription id the node did not know, when known.</summary>
    public string? QueryId { get; }
}
