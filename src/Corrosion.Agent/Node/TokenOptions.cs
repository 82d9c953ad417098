using Microsoft.Extensions.Configuration;

namespace Corrosion.Agent.Node;

/// <summary>One entry of <c>api.authz.tokens</c>.</summary>
public sealed class TokenOptions
{
    /// <summary>Scope that reads: queries, subscriptions, updates, health, table stats.</summary>
    public const string ReadScope = "read";

    /// <summary>Scope that also writes: transactions.</summary>
    public const string WriteScope = "write";

    /// <summary>Scope that may do everything: members, sync state, admin operations.</summary>
    public const string AdminScope = "admin";

    /// <summary>A name for logs and error messages (never the secret).</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>The secret itself; prefer <see cref="TokenFile"/> so it stays out of the configuration.</summary>
    public string Token { get; set; } = string.Empty;

    /// <summary>A file whose content (trimmed) is the secret.</summary>
    [ConfigurationKeyName("token_file")]
    public string TokenFile { get; set; } = string.Empty;

    /// <summary><c>read</c>, <c>write</c> or <c>admin</c>.</summary>
    public string Scope { get; set; } = ReadScope;

    /// <summary>When not empty, the only tables the token may read or write.</summary>
    public List<string> Tables { get; set; } = [];

    /// <summary>Checks the entry; <paramref name="key"/> names it in messages.</summary>
    public void Validate(string key)
    {
        if (string.IsNullOrEmpty(Token) == string.IsNullOrEmpty(TokenFile))
        {
            throw new InvalidOperationException($"configuration key {key} needs exactly one of token and token_file");
        }

        if (Scope.ToLowerInvariant() is not (ReadScope or WriteScope or AdminScope))
        {
            throw new InvalidOperationException($"configuration key {key}.scope must be read, write or admin, not \"{Scope}\"");
        }

        if (Tables.Any(string.IsNullOrWhiteSpace))
        {
            throw new InvalidOperationException($"configuration key {key}.tables has an empty table name");
        }
    }

    /// <summary>The secret: <see cref="Token"/>, or the trimmed content of <see cref="TokenFile"/>.</summary>
    /// <param name="key">Names the entry in errors; null returns null instead of throwing.</param>
    /// <exception cref="InvalidOperationException">The file cannot be read or is empty.</exception>
    public string? ReadSecret(string? key)
    {
        if (!string.IsNullOrEmpty(Token))
        {
            return Token;
        }

        string text;
        try
        {
            text = File.ReadAllText(TokenFile).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return key is null ? null : throw new InvalidOperationException($"configuration key {key}.token_file: cannot read {TokenFile}: {e.Message}", e);
        }

        if (text.Length == 0)
        {
            return key is null ? null : throw new InvalidOperationException($"configuration key {key}.token_file: {TokenFile} is empty");
        }

        return text;
    }
}
