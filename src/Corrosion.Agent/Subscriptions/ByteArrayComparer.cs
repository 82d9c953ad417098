namespace Corrosion.Agent.Subscriptions;

/// <summary>Compares byte arrays by content (row keys in dictionaries).</summary>
internal sealed class ByteArrayComparer : IEqualityComparer<byte[]>
{
    public static ByteArrayComparer Instance { get; } = new();

    public bool Equals(byte[]? x, byte[]? y) => ReferenceEquals(x, y) || (x is not null && y is not null && x.AsSpan().SequenceEqual(y));

    public int GetHashCode(byte[] obj)
    {
        var hash = new HashCode();
        hash.AddBytes(obj);
        return hash.ToHashCode();
    }
}
