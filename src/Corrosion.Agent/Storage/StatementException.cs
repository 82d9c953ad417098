namespace Corrosion.Agent.Storage;

/// <summary>A statement of a transaction failed; the whole transaction was rolled back.</summary>
public sealed class StatementException : SqlException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="statementIndex">Zero-based index of the failing statement.</param>
    /// <param name="message">SQLite's message.</param>
    public StatementException(int statementIndex, string message)
        : base(message)
    {
        StatementIndex = statementIndex;
    }

    /// <summary>Creates the exception.</summary>
    public StatementException()
        : this(-1, "statement failed")
    {
    }

    /// <summary>Creates the exception.</summary>
    public StatementException(string message)
        : this(-1, message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public StatementException(string message, Exception innerException)
        : base(message, innerException)
    {
        StatementIndex = -1;
    }

    /// <summary>Zero-based index of the failing statement (-1 when not tied to one).</summary>
    public int StatementIndex { get; }
}
