using System.Text;

namespace Corrosion.Agent.Storage;

/// <summary>
/// A SQLite value, tagged with its storage class. Ordered as cr-sqlite orders values in a merge
/// (see <see cref="CompareTo"/>), which is not SQLite's ORDER BY order.
/// </summary>
public readonly struct SqlValue : IEquatable<SqlValue>, IComparable<SqlValue>
{
    // An integer, or a real's bits: one field for both keeps the struct at 24 bytes (every Change and row carries them).
    private readonly long _integer;
    private readonly object? _reference;

    private SqlValue(SqlValueKind kind, long integer, double real, object? reference)
    {
        Kind = kind;
        _integer = kind == SqlValueKind.Real ? BitConverter.DoubleToInt64Bits(real) : integer;
        _reference = reference;
    }

    private double RealValue => BitConverter.Int64BitsToDouble(_integer);

    /// <summary>The storage class.</summary>
    public SqlValueKind Kind { get; }

    /// <summary>SQL NULL.</summary>
    public static SqlValue Null => default;

    /// <summary>True for SQL NULL.</summary>
    public bool IsNull => Kind == SqlValueKind.Null;

    /// <summary>An integer value.</summary>
    public static SqlValue FromInteger(long value) => new(SqlValueKind.Integer, value, 0, null);

    /// <summary>A real value.</summary>
    public static SqlValue FromReal(double value) => new(SqlValueKind.Real, 0, value, null);

    /// <summary>A text value.</summary>
    public static SqlValue FromText(string value) =>
        new(SqlValueKind.Text, 0, 0, value ?? throw new ArgumentNullException(nameof(value)));

    /// <summary>A blob value (the array is not copied; do not change it afterwards).</summary>
    public static SqlValue FromBlob(byte[] value) =>
        new(SqlValueKind.Blob, 0, 0, value ?? throw new ArgumentNullException(nameof(value)));

    /// <summary>Converts a value read from ADO.NET (long, double, string, byte[], DBNull or null).</summary>
    public static SqlValue FromObject(object? value) => value switch
    {
        null or DBNull => Null,
        long l => FromInteger(l),
        int i => FromInteger(i),
        short s => FromInteger(s),
        byte b => FromInteger(b),
        bool flag => FromInteger(flag ? 1 : 0),
        double d => FromReal(d),
        float f => FromReal(f),
        decimal m => FromReal((double)m),
        string t => FromText(t),
        byte[] blob => FromBlob(blob),
        SqlValue v => v,
        _ => throw new ArgumentException($"unsupported SQL value type {value.GetType().Name}", nameof(value)),
    };

    /// <summary>The integer; throws unless <see cref="Kind"/> is Integer.</summary>
    public long AsInteger => Kind == SqlValueKind.Integer ? _integer : throw WrongKind(SqlValueKind.Integer);

    /// <summary>The real; throws unless <see cref="Kind"/> is Real.</summary>
    public double AsReal => Kind == SqlValueKind.Real ? RealValue : throw WrongKind(SqlValueKind.Real);

    /// <summary>The text; throws unless <see cref="Kind"/> is Text.</summary>
    public string AsText => Kind == SqlValueKind.Text ? (string)_reference! : throw WrongKind(SqlValueKind.Text);

    /// <summary>The blob; throws unless <see cref="Kind"/> is Blob.</summary>
    public byte[] AsBlob => Kind == SqlValueKind.Blob ? (byte[])_reference! : throw WrongKind(SqlValueKind.Blob);

    /// <summary>The value as an ADO.NET parameter value (DBNull for NULL).</summary>
    public object ToObject() => Kind switch
    {
        SqlValueKind.Null => DBNull.Value,
        SqlValueKind.Integer => _integer,
        SqlValueKind.Real => RealValue,
        _ => _reference!,
    };

    private InvalidOperationException WrongKind(SqlValueKind wanted) => new($"value is {Kind}, not {wanted}");

    /// <summary>
    /// cr-sqlite's order of values, the merge rule's tie-breaker (DESIGN.md §4): storage class first,
    /// INTEGER &gt; REAL &gt; TEXT &gt; BLOB &gt; NULL, then within a class numbers numerically and text
    /// and blobs byte-wise (UTF-8, no collation). Total: only identical values compare equal, so an
    /// INTEGER 2 and a REAL 2.0 are different (else two replicas could each keep their own).
    /// </summary>
    public int CompareTo(SqlValue other)
    {
        var a = Rank(Kind);
        var b = Rank(other.Kind);
        if (a != b)
        {
            return a.CompareTo(b);
        }

        switch (Kind)
        {
            case SqlValueKind.Null:
                return 0;
            case SqlValueKind.Integer:
                return _integer.CompareTo(other._integer);
            case SqlValueKind.Real:
                var order = RealValue.CompareTo(other.RealValue);
                // -0.0 and 0.0 are equal numbers but not identical values: order them by their bits.
                return order != 0 ? order : BitConverter.DoubleToInt64Bits(RealValue).CompareTo(BitConverter.DoubleToInt64Bits(other.RealValue));
            case SqlValueKind.Text:
                return CompareUtf8((string)_reference!, (string)other._reference!);
            default:
                return ((byte[])_reference!).AsSpan().SequenceCompareTo((byte[])other._reference!);
        }
    }

    private static int Rank(SqlValueKind kind) => kind switch
    {
        SqlValueKind.Null => 0,
        SqlValueKind.Blob => 1,
        SqlValueKind.Text => 2,
        SqlValueKind.Real => 3,
        _ => 4,
    };

    private static int CompareUtf8(string x, string y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        // Ordinal UTF-16 order differs from UTF-8 byte order only around surrogates; compare bytes.
        var bx = Encoding.UTF8.GetBytes(x);
        var by = Encoding.UTF8.GetBytes(y);
        return bx.AsSpan().SequenceCompareTo(by);
    }

    /// <summary>Same storage class and same value (an integer never equals a real here).</summary>
    public bool Equals(SqlValue other)
    {
        if (Kind != other.Kind)
        {
            return false;
        }

        return Kind switch
        {
            SqlValueKind.Null => true,
            SqlValueKind.Integer => _integer == other._integer,
            SqlValueKind.Real => BitConverter.DoubleToInt64Bits(RealValue) == BitConverter.DoubleToInt64Bits(other.RealValue),
            SqlValueKind.Text => string.Equals((string)_reference!, (string)other._reference!, StringComparison.Ordinal),
            _ => ((byte[])_reference!).AsSpan().SequenceEqual((byte[])other._reference!),
        };
    }

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is SqlValue other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => Kind switch
    {
        SqlValueKind.Null => 0,
        SqlValueKind.Integer => HashCode.Combine(1, _integer),
        SqlValueKind.Real => HashCode.Combine(2, BitConverter.DoubleToInt64Bits(RealValue)),
        SqlValueKind.Text => HashCode.Combine(3, StringComparer.Ordinal.GetHashCode((string)_reference!)),
        _ => HashBlob((byte[])_reference!),
    };

    private static int HashBlob(byte[] blob)
    {
        var hash = new HashCode();
        hash.Add(4);
        hash.AddBytes(blob);
        return hash.ToHashCode();
    }

    /// <summary>Value equality.</summary>
    public static bool operator ==(SqlValue left, SqlValue right) => left.Equals(right);

    /// <summary>Value inequality.</summary>
    public static bool operator !=(SqlValue left, SqlValue right) => !left.Equals(right);

    /// <summary>cr-sqlite's merge order.</summary>
    public static bool operator <(SqlValue left, SqlValue right) => left.CompareTo(right) < 0;

    /// <summary>cr-sqlite's merge order.</summary>
    public static bool operator >(SqlValue left, SqlValue right) => left.CompareTo(right) > 0;

    /// <summary>cr-sqlite's merge order.</summary>
    public static bool operator <=(SqlValue left, SqlValue right) => left.CompareTo(right) <= 0;

    /// <summary>cr-sqlite's merge order.</summary>
    public static bool operator >=(SqlValue left, SqlValue right) => left.CompareTo(right) >= 0;

    /// <summary>A readable form for logs and test failures.</summary>
    public override string ToString() => Kind switch
    {
        SqlValueKind.Null => "NULL",
        SqlValueKind.Integer => _integer.ToString(System.Globalization.CultureInfo.InvariantCulture),
        SqlValueKind.Real => RealValue.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        SqlValueKind.Text => "'" + ((string)_reference!).Replace("'", "''", StringComparison.Ordinal) + "'",
        _ => "X'" + Convert.ToHexString((byte[])_reference!) + "'",
    };
}
