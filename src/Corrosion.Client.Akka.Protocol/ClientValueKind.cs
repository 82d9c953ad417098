namespace Corrosion.Client.Akka.Protocol;

/// <summary>SQLite's storage classes.</summary>
public enum ClientValueKind
{
    /// <summary>NULL.</summary>
    Null = 0,

    /// <summary>A 64-bit signed integer.</summary>
    Integer = 1,

    /// <summary>A 64-bit float.</summary>
    Real = 2,

    /// <summary>UTF-8 text.</summary>
    Text = 3,

    /// <summary>Bytes.</summary>
    Blob = 4,
}
