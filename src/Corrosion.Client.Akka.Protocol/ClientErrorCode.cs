namespace Corrosion.Client.Akka.Protocol;

/// <summary>Why the node refused or failed a request; each maps to the HTTP API's status.</summary>
public enum ClientErrorCode
{
    /// <summary>Bad input: invalid SQL, a failing statement, a write in a query (HTTP 400). Nothing was applied.</summary>
    BadRequest = 1,

    /// <summary>No valid bearer token (HTTP 401); the message is HTTP's.</summary>
    Unauthorized = 2,

    /// <summary>The token's scope or tables do not allow the request (HTTP 403).</summary>
    Forbidden = 3,

    /// <summary>No such subscription or table (HTTP 404).</summary>
    NotFound = 4,

    /// <summary>The transaction ran out of time and was rolled back (HTTP 408).</summary>
    Timeout = 5,

    /// <summary>The change id to resume from is no longer kept (HTTP 410); subscribe again.</summary>
    ChangeIdExpired = 6,

    /// <summary>The node cannot serve it now (HTTP 503): too many subscriptions, a part not running, no answer in time.</summary>
    Unavailable = 7,

    /// <summary>The subscriber fell behind (it did not acknowledge in time) and was cut off; resume from the last change id it saw.</summary>
    TooSlow = 8,

    /// <summary>A failure on the node (HTTP 500).</summary>
    Internal = 9,
}
