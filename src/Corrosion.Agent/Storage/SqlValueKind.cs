namespace Corrosion.Agent.Storage;

/// <summary>The storage classes of SQLite, in SQLite's sort order.</summary>
public enum SqlValueKind : byte
{
    /// <summary>SQL NULL.</summary>
    Null = 0,
    /// <summary>A 64-bit signed integer.</summary>
    Integer = 1,
    /// <summary>A 64-bit IEEE float.</summary>
    Real = 2,
    /// <summary>UTF-8 text.</summary>
    Text = 3,
    /// <summary>A byte string.</summary>
    Blob = 4,
}
