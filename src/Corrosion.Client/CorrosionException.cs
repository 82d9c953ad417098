namespace Corrosion.Client;

/// <summary>The node refused a request or could not be reached; carries the HTTP status and the server's error text.</summary>
public class CorrosionException : Exception
{
    /// <summary>Creates the exception for an HTTP status and the server's message.</summary>
    public CorrosionException(int statusCode, string message)
        : base(message) => StatusCode = statusCode;

    /// <summary>Creates the exception for an HTTP status, the server's message and a cause.</summary>
    public CorrosionException(int statusCode, string message, Exception? innerException)
        : base(message, innerException) => StatusCode = statusCode;

    /// <summary>Creates the exception.</summary>
    public CorrosionException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public CorrosionException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a cause (for example a refused connection).</summary>
    public CorrosionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>
    /// The HTTP status code; 0 when the node was not reached or the connection broke, 200 when the
    /// node reported an error inside a streamed response.
    /// </summary>
    public int StatusCode { get; }

    /// <summary>
    /// True when the failure is worth retrying for a read: the node was unreachable, the connection
    /// broke, or the node (or a proxy) answered 502, 503 or 504.
    /// </summary>
    public bool IsTransient => StatusCode is 0 or 502 or 503 or 504;
}
