using System.Globalization;
using System.Text;

namespace Corrosion.Chaos.Workload;

/// <summary>
/// A SQLite value with its storage class, compared exactly: integer 7 and real 7.0 differ, as do
/// text '7' and a blob. Nodes are read with SQLite's <c>quote()</c>, whose text is exact for every
/// class (reals are printed with enough digits to read back the same double), and parsed here.
/// </summary>
public readonly record struct CellValue(StorageClass Class, string Text)
{
    public static CellValue Null { get; } = new(StorageClass.Null, "NULL");

    public static CellValue Integer(long value) => new(StorageClass.Integer, value.ToString(CultureInfo.InvariantCulture));

    public static CellValue Real(double value) => new(StorageClass.Real, value.ToString("R", CultureInfo.InvariantCulture));

    public static CellValue OfText(string value) => new(StorageClass.Text, value);

    public static CellValue Blob(byte[] value) => new(StorageClass.Blob, Convert.ToHexString(value));

    /// <summary>Parses the output of SQLite's <c>quote(x)</c>.</summary>
    public static CellValue FromQuoted(string quoted)
    {
        ArgumentNullException.ThrowIfNull(quoted);
        if (quoted == "NULL")
        {
            return Null;
        }

        if (quoted.StartsWith('\''))
        {
            return OfText(quoted[1..^1].Replace("''", "'", StringComparison.Ordinal));
        }

        if (quoted.StartsWith("X'", StringComparison.Ordinal))
        {
            return new(StorageClass.Blob, quoted[2..^1].ToUpperInvariant());
        }

        if (long.TryParse(quoted, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return Integer(integer);
        }

        return Real(double.Parse(quoted, NumberStyles.Float, CultureInfo.InvariantCulture));
    }

    /// <summary>The value as a parameter for the .NET client (null, long, double, string or byte[]).</summary>
    public object? ToParameter() => Class switch
    {
        StorageClass.Null => null,
        StorageClass.Integer => long.Parse(Text, CultureInfo.InvariantCulture),
        StorageClass.Real => double.Parse(Text, CultureInfo.InvariantCulture),
        StorageClass.Text => Text,
        _ => Convert.FromHexString(Text),
    };

    public override string ToString() => Class switch
    {
        StorageClass.Null => "NULL",
        StorageClass.Integer => Text,
        StorageClass.Real => Text.Contains('.', StringComparison.Ordinal) || Text.Contains('E', StringComparison.Ordinal) ? Text : Text + ".0",
        StorageClass.Text => "'" + Text + "'",
        _ => "X'" + Text + "'",
    };

    /// <summary>The value as a snapshot cell: <c>typeof</c> and <c>quote()</c>, e.g. <c>real 7.0</c>.</summary>
    public string ToSnapshotCell() => Class.ToString().ToLowerInvariant() + " " + ToString();

    /// <summary>A blob of the UTF-8 bytes of <paramref name="text"/>.</summary>
    public static CellValue BlobOf(string text) => Blob(Encoding.UTF8.GetBytes(text));
}

/// <summary>SQLite's storage classes (<c>typeof()</c>).</summary>
public enum StorageClass
{
    Null,
    Integer,
    Real,
    Text,
    Blob,
}
