using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Corrosion.Hocon.Parsing;

/// <summary>State shared by the parsers of one document and the files it includes.</summary>
internal sealed class ParseSession(HoconParseOptions options)
{
    private int seq;

    public HoconParseOptions Options { get; } = options;

    public ILogger Logger { get; } = options.Logger ?? NullLogger.Instance;

    /// <summary>Full paths of the files being parsed, outermost first, to detect include cycles.</summary>
    public List<string> IncludeStack { get; } = [];

    public int NextSeq() => seq++;
}
