namespace Corrosion.Agent.Storage;

/// <summary>SQLite refused a statement (invalid SQL, constraint violation...); the message is SQLite's.</summary>
public class SqlException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SqlException()
    {
    }

    /// <summary>Creates the exception with SQLite's message.</summary>
    public SqlException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a cause.</summary>
    public SqlException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
