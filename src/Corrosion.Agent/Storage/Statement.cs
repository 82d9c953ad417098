namespace Corrosion.Agent.Storage;

/// <summary>
/// One SQL statement with positional or named parameters (the shapes of Corrosion's
/// <c>/v1/transactions</c>: <c>"SQL"</c>, <c>["SQL", [params]]</c>, <c>["SQL", {named}]</c>,
/// <c>{"query", "params", "named_params"}</c>).
/// </summary>
/// <param name="Sql">The statement text.</param>
/// <param name="Params">Positional parameters (bound to <c>?</c>, <c>?1</c>…), or null.</param>
/// <param name="NamedParams">Named parameters (bound to <c>:name</c>, <c>@name</c>, <c>$name</c>), or null.</param>
public sealed record Statement(
    string Sql,
    IReadOnlyList<SqlValue>? Params = null,
    IReadOnlyDictionary<string, SqlValue>? NamedParams = null);
