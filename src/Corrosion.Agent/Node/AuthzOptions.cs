using Microsoft.Extensions.Configuration;

namespace Corrosion.Agent.Node;

/// <summary>The <c>api.authz</c> section: who may call the HTTP API, and for what.</summary>
public sealed class AuthzOptions
{
    /// <summary>Full-access bearer tokens (scope admin, every table); with <see cref="Tokens"/> empty too, the API is open.</summary>
    [ConfigurationKeyName("bearer_tokens")]
    public List<string> BearerTokens { get; set; } = [];

    /// <summary>Scoped tokens: each with a scope (read, write, admin) and optionally the tables it may use.</summary>
    public List<TokenOptions> Tokens { get; set; } = [];

    /// <summary>True when no token of either kind is configured (the API needs none).</summary>
    public bool IsOpen => BearerTokens.All(string.IsNullOrEmpty) && Tokens.Count == 0;

    /// <summary>Checks every token entry; names the entry and key at fault.</summary>
    public void Validate()
    {
        for (var i = 0; i < Tokens.Count; i++)
        {
            Tokens[i].Validate($"api.authz.tokens.{i}");
        }

        var names = Tokens.Where(t => !string.IsNullOrEmpty(t.Name)).GroupBy(t => t.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (names is not null)
        {
            throw new InvalidOperationException($"configuration key api.authz.tokens has two tokens named \"{names.Key}\"");
        }
    }

    /// <summary>The token a local tool (the CLI) sends by default: the first full-access one, else the first admin-scope one, else null.</summary>
    public string? DefaultClientToken()
    {
        if (BearerTokens.FirstOrDefault(t => !string.IsNullOrEmpty(t)) is { } bearer)
        {
            return bearer;
        }

        var admin = Tokens.FirstOrDefault(t => string.Equals(t.Scope, TokenOptions.AdminScope, StringComparison.OrdinalIgnoreCase) && t.Tables.Count == 0);
        return admin?.ReadSecret(null);
    }
}
