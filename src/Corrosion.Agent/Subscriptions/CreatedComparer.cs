namespace Corrosion.Agent.Subscriptions;

/// <summary>Compares (table, encoded key) pairs: table names case-insensitively, keys byte-wise.</summary>
internal sealed class CreatedComparer : IEqualityComparer<(string Table, byte[] Key)>
{
    public static readonly CreatedComparer Instance = new();

    public bool Equals((string Table, byte[] Key) x, (string Table, byte[] Key) y) =>
        StringComparer.OrdinalIgnoreCase.Equals(x.Table, y.Table) && ByteArrayComparer.Instance.Equals(x.Key, y.Key);

    public int GetHashCode((string Table, byte[] Key) obj) =>
        HashCode.Combine(StringComparer.OrdinalIgnoreCase.GetHashCode(obj.Table), ByteArrayComparer.Instance.GetHashCode(obj.Key));
}
