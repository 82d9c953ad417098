namespace Corrosion.Cli;

/// <summary>A user error on the command line: printed as is, exit code 1.</summary>
public sealed class CliException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CliException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public CliException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public CliException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
