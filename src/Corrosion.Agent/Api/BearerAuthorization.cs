using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Corrosion.Agent.Api;

/// <summary>Checks <c>Authorization: Bearer</c> against <c>api.authz.bearer_tokens</c>.</summary>
internal sealed class BearerAuthorization
{
    private readonly byte[][] _tokens;

    public BearerAuthorization(IEnumerable<string> tokens) =>
        _tokens = [.. tokens.Where(t => !string.IsNullOrEmpty(t)).Select(Encoding.UTF8.GetBytes)];

    /// <summary>True when no tokens are configured.</summary>
    public bool IsOpen => _tokens.Length == 0;

    /// <summary>True when the request carries one of the tokens (compared in constant time).</summary>
    public bool Allows(HttpRequest request)
    {
        if (IsOpen)
        {
            return true;
        }

        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var presented = Encoding.UTF8.GetBytes(header[scheme.Length..].Trim());
        var allowed = false;
        foreach (var token in _tokens)
        {
            allowed |= CryptographicOperations.FixedTimeEquals(presented, token);
        }

        return allowed;
    }
}
