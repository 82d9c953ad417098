namespace Corrosion.Hocon;

/// <summary>
/// A HOCON document could not be parsed or resolved, or a value could not be read as the requested type.
/// When the problem has a place in a source, <see cref="Exception.Message"/> starts with
/// <c>source:line:column:</c> and the place is also available as properties.
/// </summary>
public class HoconException : Exception
{
    /// <summary>Creates an exception with a default message.</summary>
    public HoconException()
        : base("HOCON error")
    {
    }

    /// <summary>Creates an exception that has no position in a source.</summary>
    public HoconException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception that wraps another one.</summary>
    public HoconException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception located at a line and column (both 1-based) of a source.</summary>
    public HoconException(string message, string sourceName, int line, int column)
        : base($"{sourceName}:{line}:{column}: {message}")
    {
        SourceName = sourceName;
        Line = line;
        Column = column;
        Reason = message;
    }

    /// <summary>The file name or source name the error is in, when known.</summary>
    public string? SourceName { get; }

    /// <summary>The 1-based line of the error, or 0 when unknown.</summary>
    public int Line { get; }

    /// <summary>The 1-based column of the error, or 0 when unknown.</summary>
    public int Column { get; }

    /// <summary>The message without its position prefix, when a position is known.</summary>
    public string? Reason { get; }
}
