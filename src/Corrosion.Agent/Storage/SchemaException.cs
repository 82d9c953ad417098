namespace Corrosion.Agent.Storage;

/// <summary>The schema was refused (a form a CRR cannot have, or a destructive change); nothing was applied.</summary>
public sealed class SchemaException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SchemaException()
    {
    }

    /// <summary>Creates the exception with a message that names the table and column.</summary>
    public SchemaException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a cause.</summary>
    public SchemaException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
