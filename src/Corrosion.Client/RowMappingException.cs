namespace Corrosion.Client;

/// <summary>
/// A query's columns do not fit the type they are mapped to (a missing column, or a value of an
/// incompatible type). A mistake in the program, not a failure of the node.
/// </summary>
public sealed class RowMappingException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RowMappingException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public RowMappingException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a cause.</summary>
    public RowMappingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
