namespace Corrosion.Client;

/// <summary>A statement with positional or named parameters (values: null, bool, integers, floating point, string, byte[]).</summary>
/// <param name="Sql">The SQL text.</param>
/// <param name="Params">Positional parameters, or null.</param>
/// <param name="NamedParams">Named parameters (without the leading <c>:</c>), or null.</param>
public sealed record ClientStatement(
    string Sql,
    IReadOnlyList<object?>? Params = null,
    IReadOnlyDictionary<string, object?>? NamedParams = null)
{
    /// <summary>A statement without parameters.</summary>
    public static implicit operator ClientStatement(string sql) => new(sql);

    /// <summary>A statement with positional parameters.</summary>
    public static ClientStatement Of(string sql, params object?[] parameters) => new(sql, parameters);
}
