namespace Corrosion.Agent.Api;

/// <summary>A request the API cannot accept as sent; answered with 400 and the message.</summary>
public sealed class ApiInputException : Exception
{
    /// <summary>Creates the exception with a message that says what to fix.</summary>
    public ApiInputException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ApiInputException()
    {
    }

    /// <summary>Creates the exception with an inner cause.</summary>
    public ApiInputException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
