namespace Corrosion.Agent.Api;

/// <summary>A caller the API recognised by its bearer token.</summary>
/// <param name="Name">The token's name (for messages and logs; never the secret).</param>
/// <param name="Scope">What it may do.</param>
/// <param name="Tables">The only tables it may read or write, or null for every table.</param>
public sealed record ApiToken(string Name, ApiScope Scope, IReadOnlySet<string>? Tables)
{
    /// <summary>The caller of an API that needs no token: everything is allowed.</summary>
    public static ApiToken Open { get; } = new("open", ApiScope.Admin, null);

    /// <summary>True when the token may use <paramref name="table"/> (SQLite's names ignore ASCII case).</summary>
    public bool MayUse(string table) => Tables is null || Tables.Contains(table);
}
