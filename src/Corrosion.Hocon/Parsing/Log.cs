using Microsoft.Extensions.Logging;

namespace Corrosion.Hocon.Parsing;

internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "{Position}: include of '{Name}' ignored: no file at {FullPath} (use include required(...) to make it an error)")]
    public static partial void IncludeNotFound(ILogger logger, string position, string name, string fullPath);
}
