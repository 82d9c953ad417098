namespace Corrosion.Agent.Admin;

/// <summary>A command the node refuses (bad arguments, nothing to act on): its message goes back to the CLI as the error.</summary>
public sealed class AdminCommandException : Exception
{
    /// <summary>Creates the exception.</summary>
    public AdminCommandException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public AdminCommandException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public AdminCommandException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
