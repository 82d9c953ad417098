using Microsoft.Extensions.Configuration;

namespace Corrosion.Agent.Node;

/// <summary>The <c>api.authz</c> section.</summary>
public sealed class AuthzOptions
{
    /// <summary>Accepted bearer tokens; when empty, the API is open.</summary>
    [ConfigurationKeyName("bearer_tokens")]
    public List<string> BearerTokens { get; set; } = [];
}
