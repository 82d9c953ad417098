using System.Security.Cryptography;
using System.Text;
using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Subscriptions;

/// <summary>The identity of a subscribed statement: hex SHA-256 of its text and parameters.</summary>
internal static class QueryHash
{
    public static string Of(Statement statement)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(statement.Sql));
        // Tags keep "no parameters" apart from "empty list" and positional from named ones.
        if (statement.Params is { Count: > 0 } positional)
        {
            hash.AppendData([1]);
            hash.AppendData(RowCodec.Encode(positional));
        }

        if (statement.NamedParams is { Count: > 0 } named)
        {
            hash.AppendData([2]);
            var pairs = named.OrderBy(p => p.Key, StringComparer.Ordinal).SelectMany(p => new[] { SqlValue.FromText(p.Key), p.Value }).ToArray();
            hash.AppendData(RowCodec.Encode(pairs));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
