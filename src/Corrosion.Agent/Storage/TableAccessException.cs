namespace Corrosion.Agent.Storage;

/// <summary>A statement touches a table the caller may not use (a table-restricted API token).</summary>
public sealed class TableAccessException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TableAccessException()
    {
    }

    /// <summary>Creates the exception with a message naming the table.</summary>
    public TableAccessException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a cause.</summary>
    public TableAccessException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
