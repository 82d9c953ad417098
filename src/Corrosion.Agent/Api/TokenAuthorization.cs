using System.Security.Cryptography;
using System.Text;
using Corrosion.Agent.Node;
using Microsoft.AspNetCore.Http;

namespace Corrosion.Agent.Api;

/// <summary>
/// Recognises the <c>Authorization: Bearer</c> token of a request among <c>api.authz.bearer_tokens</c>
/// (full access) and <c>api.authz.tokens</c> (scoped, optionally restricted to tables). Every
/// configured token is compared, in constant time, on SHA-256 digests, so neither the position of
/// the first differing byte nor a token's length shows in the time taken.
/// </summary>
internal sealed class TokenAuthorization
{
    private readonly (byte[] Digest, ApiToken Token)[] _tokens;

    private TokenAuthorization((byte[] Digest, ApiToken Token)[] tokens) => _tokens = tokens;

    /// <summary>True when no token is configured: every request is allowed everything.</summary>
    public bool IsOpen => _tokens.Length == 0;

    /// <summary>Reads the configured tokens (and token files).</summary>
    /// <exception cref="InvalidOperationException">A token file cannot be read or is empty; the message names the key.</exception>
    public static TokenAuthorization FromOptions(AuthzOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var tokens = new List<(byte[], ApiToken)>();
        for (var i = 0; i < options.BearerTokens.Count; i++)
        {
            if (!string.IsNullOrEmpty(options.BearerTokens[i]))
            {
                tokens.Add((Digest(options.BearerTokens[i]), new ApiToken($"bearer_tokens.{i}", ApiScope.Admin, null)));
            }
        }

        for (var i = 0; i < options.Tokens.Count; i++)
        {
            var entry = options.Tokens[i];
            var key = $"api.authz.tokens.{i}";
            var secret = entry.ReadSecret(key)!;
            var scope = Enum.Parse<ApiScope>(entry.Scope, ignoreCase: true);
            var tables = entry.Tables.Count == 0 ? null : new HashSet<string>(entry.Tables, StringComparer.OrdinalIgnoreCase);
            var name = string.IsNullOrEmpty(entry.Name) ? $"tokens.{i}" : entry.Name;
            tokens.Add((Digest(secret), new ApiToken(name, scope, tables)));
        }

        return new TokenAuthorization([.. tokens]);
    }

    /// <summary>What a caller without a valid token is told (HTTP 401, and the Akka client gateway's refusal).</summary>
    public const string TokenRequiredMessage = "a valid bearer token is required (Authorization: Bearer <token>)";

    /// <summary>The caller behind the request's bearer token; <see cref="ApiToken.Open"/> when no token is configured; null when it carries none that is known.</summary>
    public ApiToken? Authenticate(HttpRequest request)
    {
        if (IsOpen)
        {
            return ApiToken.Open;
        }

        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return Authenticate(header[scheme.Length..].Trim());
    }

    /// <summary>The caller behind a bearer token (the secret alone, no scheme); <see cref="ApiToken.Open"/> when no token is configured; null when it is missing or unknown.</summary>
    public ApiToken? Authenticate(string? token)
    {
        if (IsOpen)
        {
            return ApiToken.Open;
        }

        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        var presented = Digest(token);
        ApiToken? found = null;
        foreach (var (digest, known) in _tokens)
        {
            // No early exit: every token is compared whatever matched.
            if (CryptographicOperations.FixedTimeEquals(presented, digest))
            {
                found ??= known;
            }
        }

        return found;
    }

    private static byte[] Digest(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
