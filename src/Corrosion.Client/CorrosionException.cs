namespace Corrosion.Client;

/// <summary>The node refused a request or could not be reached; carries the server's error text.</summary>
public sealed class CorrosionException : Exception
{
    /// <summary>Creates the exception for an HTTP status and the server's message.</summary>
    public CorrosionException(int statusCode, string message)
        : base(message) => StatusCode = statusCode;

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

    /// <summary>The HTTP status code, or 0 when the node was not reached.</summary>
    public int StatusCode { get; }
}
