namespace Corrosion.Agent.Api;

/// <summary>The request body exceeds <c>api.max_body_size</c>; answered with 413.</summary>
public sealed class BodyTooLargeException : Exception
{
    /// <summary>Creates the exception for a limit.</summary>
    public BodyTooLargeException(long limit)
        : base($"the request body exceeds the limit of {limit} bytes (api.max_body_size)")
    {
    }

    /// <summary>Creates the exception.</summary>
    public BodyTooLargeException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public BodyTooLargeException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public BodyTooLargeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
