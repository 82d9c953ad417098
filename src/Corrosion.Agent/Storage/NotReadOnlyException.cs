namespace Corrosion.Agent.Storage;

/// <summary>A query was not read-only; it was refused before running.</summary>
public sealed class NotReadOnlyException : SqlException
{
    /// <summary>Creates the exception.</summary>
    public NotReadOnlyException()
        : base("statement is not read-only")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public NotReadOnlyException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a cause.</summary>
    public NotReadOnlyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
