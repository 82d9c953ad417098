namespace Corrosion.Client.Akka.Protocol;

/// <summary>One SQL statement with typed parameters (the shapes of HTTP's <c>/v1/transactions</c>).</summary>
/// <param name="Sql">The statement text.</param>
/// <param name="Params">Positional parameters (bound to <c>?</c>, <c>?1</c>…), or null.</param>
/// <param name="NamedParams">Named parameters (bound to <c>:name</c>, <c>@name</c>, <c>$name</c>), or null.</param>
public sealed record SqlStatement(
    string Sql,
    IReadOnlyList<ClientValue>? Params = null,
    IReadOnlyDictionary<string, ClientValue>? NamedParams = null)
{
    /// <summary>A statement with positional parameters given as .NET values (see <see cref="ClientValue.From"/>).</summary>
    public static SqlStatement Of(string sql, params object?[] parameters) =>
        new(sql, parameters.Length == 0 ? null : [.. parameters.Select(ClientValue.From)]);
}
