namespace Corrosion.Agent.Hosting;

/// <summary>An in-process transaction was rolled back: nothing of it was applied.</summary>
public sealed class TransactionFailedException : Exception
{
    /// <summary>Creates the exception from the store's answer.</summary>
    /// <param name="error">The store's error message.</param>
    /// <param name="statementIndex">The failing statement's index, when one failed.</param>
    /// <param name="timedOut">True when the transaction ran out of time.</param>
    public TransactionFailedException(string error, int? statementIndex, bool timedOut)
        : base(Describe(error, statementIndex, timedOut))
    {
        Error = error;
        StatementIndex = statementIndex;
        TimedOut = timedOut;
    }

    /// <summary>Creates the exception.</summary>
    public TransactionFailedException()
        : this("the transaction failed", null, false)
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public TransactionFailedException(string message)
        : this(message, null, false)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public TransactionFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
        Error = message;
    }

    /// <summary>The store's error message (SQLite's, for invalid SQL or a violated constraint).</summary>
    public string Error { get; } = string.Empty;

    /// <summary>The index of the statement that failed, when one did.</summary>
    public int? StatementIndex { get; }

    /// <summary>True when the transaction was rolled back because it ran out of time.</summary>
    public bool TimedOut { get; }

    private static string Describe(string error, int? statementIndex, bool timedOut)
    {
        var where = statementIndex is { } index ? $"statement {index}: " : string.Empty;
        var why = timedOut ? "timed out: " : string.Empty;
        return $"{where}{why}{error} (nothing was applied)";
    }
}
