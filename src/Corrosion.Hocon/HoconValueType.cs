namespace Corrosion.Hocon;

/// <summary>The type of a resolved HOCON value.</summary>
public enum HoconValueType
{
    /// <summary>An object: ordered keys to values.</summary>
    Object,

    /// <summary>An array of values.</summary>
    Array,

    /// <summary>A quoted, unquoted or concatenated string.</summary>
    String,

    /// <summary>A number, kept as written.</summary>
    Number,

    /// <summary><c>true</c> or <c>false</c>.</summary>
    Boolean,

    /// <summary><c>null</c>.</summary>
    Null,
}
