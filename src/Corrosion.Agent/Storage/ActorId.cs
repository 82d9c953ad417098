using System.Buffers.Binary;

namespace Corrosion.Agent.Storage;

/// <summary>
/// A node's 16-byte site id (Corrosion's actor id). Ordered by its bytes, as SQLite orders blobs,
/// so the "greater site id wins" merge rule is the same on every platform.
/// </summary>
public readonly record struct ActorId : IComparable<ActorId>
{
    /// <summary>Length of the id in bytes.</summary>
    public const int Size = 16;

    private readonly ulong _hi;
    private readonly ulong _lo;

    private ActorId(ulong hi, ulong lo)
    {
        _hi = hi;
        _lo = lo;
    }

    /// <summary>The all-zero id (never a real node).</summary>
    public static ActorId Empty => default;

    /// <summary>Makes a fresh random id.</summary>
    public static ActorId NewId() => FromGuid(Guid.NewGuid());

    /// <summary>Makes an id from a <see cref="Random"/>, for seeded tests and simulations.</summary>
    public static ActorId FromRandom(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        Span<byte> bytes = stackalloc byte[Size];
        random.NextBytes(bytes);
        return FromBytes(bytes);
    }

    /// <summary>Reads an id from exactly 16 bytes (big-endian, RFC 4122 order).</summary>
    public static ActorId FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new ArgumentException($"an actor id is {Size} bytes, got {bytes.Length}", nameof(bytes));
        }

        return new ActorId(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]));
    }

    /// <summary>Makes an id from a GUID, keeping its textual form.</summary>
    public static ActorId FromGuid(Guid guid)
    {
        Span<byte> bytes = stackalloc byte[Size];
        guid.TryWriteBytes(bytes, bigEndian: true, out _);
        return FromBytes(bytes);
    }

    /// <summary>Parses the textual (UUID) form.</summary>
    public static ActorId Parse(string text) => FromGuid(Guid.Parse(text));

    /// <summary>Parses the textual (UUID) form, without throwing.</summary>
    public static bool TryParse(string? text, out ActorId id)
    {
        if (Guid.TryParse(text, out var guid))
        {
            id = FromGuid(guid);
            return true;
        }

        id = default;
        return false;
    }

    /// <summary>Writes the 16 bytes to <paramref name="destination"/>.</summary>
    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _hi);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _lo);
    }

    /// <summary>The 16 bytes as a new array.</summary>
    public byte[] ToByteArray()
    {
        var bytes = new byte[Size];
        WriteTo(bytes);
        return bytes;
    }

    /// <summary>The id as a GUID (same textual form).</summary>
    public Guid ToGuid()
    {
        Span<byte> bytes = stackalloc byte[Size];
        WriteTo(bytes);
        return new Guid(bytes, bigEndian: true);
    }

    /// <inheritdoc />
    public int CompareTo(ActorId other)
    {
        var c = _hi.CompareTo(other._hi);
        return c != 0 ? c : _lo.CompareTo(other._lo);
    }

    /// <summary>Orders ids by their bytes.</summary>
    public static bool operator <(ActorId left, ActorId right) => left.CompareTo(right) < 0;

    /// <summary>Orders ids by their bytes.</summary>
    public static bool operator >(ActorId left, ActorId right) => left.CompareTo(right) > 0;

    /// <summary>Orders ids by their bytes.</summary>
    public static bool operator <=(ActorId left, ActorId right) => left.CompareTo(right) <= 0;

    /// <summary>Orders ids by their bytes.</summary>
    public static bool operator >=(ActorId left, ActorId right) => left.CompareTo(right) >= 0;

    /// <summary>The UUID form, lower case with hyphens.</summary>
    public override string ToString() => ToGuid().ToString("D");
}
