using Microsoft.Extensions.Logging;

namespace Corrosion.Hocon;

/// <summary>Options for <see cref="HoconParser"/>.</summary>
public sealed class HoconParseOptions
{
    /// <summary>
    /// Directory that relative includes of a document parsed from a string are resolved against.
    /// Files resolve includes against their own directory. Defaults to the current directory.
    /// </summary>
    public string? BaseDirectory { get; init; }

    /// <summary>Receives warnings, such as an ignored include of a missing file. Defaults to no logging.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>
    /// Looks up an environment variable for a substitution not found in the document, as the HOCON
    /// specification requires. Defaults to <see cref="Environment.GetEnvironmentVariable(string)"/>;
    /// set a function returning <see langword="null"/> to disable the fallback.
    /// </summary>
    public Func<string, string?>? EnvironmentVariables { get; init; }
}
