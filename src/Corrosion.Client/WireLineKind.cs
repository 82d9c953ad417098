namespace Corrosion.Client;

/// <summary>What a line of a stream carries.</summary>
internal enum WireLineKind
{
    Other,
    Error,
    Columns,
    Row,
    EndOfQuery,
    Change,
    Notify,
    Restarted,
}
