namespace Corrosion.Hocon.Parsing;

/// <summary>A 1-based line and column in a named source.</summary>
internal readonly record struct SourcePosition(string Source, int Line, int Column)
{
    public HoconException Error(string message) => new(message, Source, Line, Column);

    public override string ToString() => $"{Source}:{Line}:{Column}";
}
