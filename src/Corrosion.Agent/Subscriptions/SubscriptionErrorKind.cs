namespace Corrosion.Agent.Subscriptions;

/// <summary>The kinds of subscription failure.</summary>
public enum SubscriptionErrorKind
{
    /// <summary>The statement is not a valid read-only query over replicated tables (HTTP 400).</summary>
    BadQuery,

    /// <summary>No subscription or table by that name (HTTP 404).</summary>
    NotFound,

    /// <summary>The requested change id is older than the oldest change kept (HTTP 410).</summary>
    ChangeIdExpired,

    /// <summary>The node cannot take more subscriptions or listeners now (HTTP 503).</summary>
    Unavailable,
}
