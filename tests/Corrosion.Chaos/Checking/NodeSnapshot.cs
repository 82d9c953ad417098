using System.Security.Cryptography;
using System.Text;

namespace Corrosion.Chaos.Checking;

/// <summary>
/// A node's replicated state: every row of every table (cells as <c>typeof quote</c>, e.g.
/// <c>real 7.0</c>), and its clock metadata per cell. Both are keyed by text that is the same on
/// every node (quoted primary-key values, not the node-local key map or row ids).
/// </summary>
public sealed record NodeSnapshot(int Node, IReadOnlyDictionary<string, Rows> Tables, IReadOnlyDictionary<string, Rows> Clocks)
{
    /// <summary>A hash of everything, equal on two nodes exactly when their snapshots are.</summary>
    public string Digest()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (kind, set) in new[] { ("table", Tables), ("clock", Clocks) })
        {
            foreach (var (name, rows) in set.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                hash.AppendData(Encoding.UTF8.GetBytes($"{kind} {name} {rows.Count}\n"));
                foreach (var (key, cells) in rows.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    hash.AppendData(Encoding.UTF8.GetBytes(key + "\t" + string.Join("\t", cells) + "\n"));
                }
            }
        }

        return Convert.ToHexString(hash.GetHashAndReset())[..16];
    }
}

/// <summary>Rows by key; each row's cells as text.</summary>
public sealed class Rows : Dictionary<string, IReadOnlyList<string>>
{
    public Rows()
        : base(StringComparer.Ordinal)
    {
    }
}
